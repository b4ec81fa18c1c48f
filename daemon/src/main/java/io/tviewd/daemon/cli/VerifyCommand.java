package io.tviewd.daemon.cli;

import java.util.concurrent.Callable;

import io.tviewd.config.TviewdConfig;
import io.tviewd.connectors.postgres.PostgresSessions;
import io.tviewd.connectors.postgres.plan.RefreshPlan;
import io.tviewd.connectors.postgres.refresh.TviewVerifier;
import io.tviewd.daemon.pipeline.TviewMaintenance;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tviewd verify TVIEW [--repair]}: compare a tview with its view in chunks; exit 3 on unrepaired drift. */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Compare a tview with its source view in key chunks (row hashes); --repair refreshes exactly the differing keys.")
final class VerifyCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "TVIEW", description = "tv_post or schema.tv_post")
    String tview;

    @Option(names = "--repair", description = "Refresh the missing, extra and differing keys.")
    boolean repair;

    @Option(names = "--chunk-size", paramLabel = "N", defaultValue = "1000", description = "Keys per chunk (default: ${DEFAULT-VALUE}).")
    int chunkSize;

    @Mixin
    DatabaseOptions database;

    @Override
    public Integer call() throws Exception {
        TviewdConfig cfg = database.load();
        if (cfg == null) {
            return Main.EXIT_CONFIG;
        }
        if (!DatabaseOptions.validChunkSize(chunkSize)) {
            return Main.EXIT_CONFIG;
        }
        if (repair) {
            DatabaseOptions.installState(cfg);
        }
        PostgresSessions sessions = new PostgresSessions(cfg.database());
        RefreshPlan plan = DatabaseOptions.find(cfg, tview);
        if (plan == null) {
            return Main.EXIT_FAILURE;
        }
        TviewMaintenance.Verified v = TviewMaintenance.verify(sessions, cfg.refresh(), plan.tview(), repair, chunkSize,
                checked -> System.out.print("\rverifying " + tview + ": " + checked + " keys checked"), DatabaseOptions.all(cfg));
        System.out.println();
        TviewVerifier.Report r = v.report();
        System.out.printf("%s: %d keys checked; missing %d %s, extra %d %s, differing %d %s%n", plan.tview().name(), r.keysChecked(),
                r.missing(), r.missingSample(), r.extra(), r.extraSample(), r.differing(), r.differingSample());
        if (!r.drift()) {
            System.out.println("No drift: " + plan.tview().name() + " equals " + plan.tview().sourceView() + ".");
            return Main.EXIT_OK;
        }
        if (repair) {
            System.out.println("Repaired " + v.repaired() + " keys.");
            return Main.EXIT_OK;
        }
        System.out.println("Drift found: run `tviewd verify " + tview + " --repair` to refresh exactly these keys.");
        return Main.EXIT_DRIFT;
    }
}
