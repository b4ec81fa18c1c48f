package io.tviewd.daemon;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;

/**
 * The package layout as rules over the compiled main classes of all three modules: dependencies run
 * one way (cli → wiring → http → cutover → pipeline/events → metrics → connectors → config), no
 * cycles between any two packages, and the connectors never see Vert.x or the daemon.
 */
class LayoutTest {

    private static final String D = "io.tviewd.daemon";
    private static final String P = "io.tviewd.connectors.postgres";
    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("io.tviewd");
    }

    @Test
    void layout_everyPackage_isFreeOfCycles() {
        // (**) makes every package its own slice: a cycle between any two packages fails
        slices().matching("io.tviewd.(**)").should().beFreeOfCycles().check(classes);
    }

    @Test
    void layout_config_dependsOnNoOtherModuleNorExternalSystem() {
        noClasses().that().resideInAPackage("io.tviewd.config..")
                .should().dependOnClassesThat().resideInAnyPackage("io.tviewd.connectors..", D + "..", "io.vertx..", "io.debezium..",
                        "org.apache.kafka..", "java.sql..", "org.postgresql..")
                .check(classes);
    }

    @Test
    void layout_connectors_neverSeeTheDaemonNorVertx() {
        noClasses().that().resideInAPackage("io.tviewd.connectors..")
                .should().dependOnClassesThat().resideInAnyPackage(D + "..", "io.vertx..", "picocli..")
                .check(classes);
    }

    @Test
    void layout_stages_neverCallUpIntoCliHttpOrTheWiring() {
        noClasses().that().resideInAnyPackage(D + ".pipeline..", D + ".events..", D + ".cutover..", D + ".metrics..", D + ".retry..",
                        D + ".demo..", D + ".http..", D + ".bench..")
                .should().dependOnClassesThat().resideInAnyPackage(D + ".cli..", D)
                .check(classes);
        noClasses().that().resideInAnyPackage(D + ".pipeline..", D + ".events..", D + ".cutover..", D + ".metrics..", D + ".retry..",
                        D + ".demo..")
                .should().dependOnClassesThat().resideInAPackage(D + ".http..")
                .check(classes);
    }

    @Test
    void layout_bench_measuresTheDaemonFromOutside() {
        // the daemon under test is the jar in a child process: the benchmark links none of its stages
        noClasses().that().resideInAPackage(D + ".bench..")
                .should().dependOnClassesThat().resideInAnyPackage(D + ".pipeline..", D + ".events..", D + ".http..", D + ".cutover..",
                        D + ".metrics..")
                .check(classes);
    }

    @Test
    void layout_pipelineAndEvents_neverDriveACutover() {
        noClasses().that().resideInAnyPackage(D + ".pipeline..", D + ".events..", D + ".metrics..", D + ".retry..")
                .should().dependOnClassesThat().resideInAPackage(D + ".cutover..")
                .check(classes);
    }

    @Test
    void layout_metricsAndRetry_areLeaves() {
        noClasses().that().resideInAnyPackage(D + ".metrics..", D + ".retry..")
                .should().dependOnClassesThat().resideInAnyPackage(D + ".pipeline..", D + ".events..", D + ".cutover..")
                .check(classes);
        noClasses().that().resideInAPackage(D + ".retry..")
                .should().dependOnClassesThat().resideInAnyPackage("io.tviewd.connectors..", D + ".metrics..")
                .check(classes);
    }

    @Test
    void layout_postgresStages_runCatalogToPlanToRefreshToTriggers() {
        noClasses().that().resideInAPackage(P + ".catalog..")
                .should().dependOnClassesThat().resideInAnyPackage(P + ".plan..", P + ".refresh..", P + ".triggers..", P + ".state..",
                        P + ".replication..", P + ".check..")
                .check(classes);
        noClasses().that().resideInAPackage(P + ".plan..")
                .should().dependOnClassesThat().resideInAnyPackage(P + ".refresh..", P + ".triggers..", P + ".state..", P + ".check..")
                .check(classes);
        noClasses().that().resideInAPackage(P + ".refresh..")
                .should().dependOnClassesThat().resideInAnyPackage(P + ".triggers..", P + ".state..", P + ".check..")
                .check(classes);
        noClasses().that().resideInAnyPackage(P + ".state..", P + ".replication..", P + ".triggers..")
                .should().dependOnClassesThat().resideInAPackage(P + ".check..")
                .check(classes);
        // the entry class (PostgresSessions) is what every stage uses; it uses none of them
        noClasses().that().resideInAPackage(P)
                .should().dependOnClassesThat().resideInAnyPackage(P + ".catalog..", P + ".plan..", P + ".refresh..", P + ".triggers..",
                        P + ".state..", P + ".replication..", P + ".check..")
                .check(classes);
    }
}
