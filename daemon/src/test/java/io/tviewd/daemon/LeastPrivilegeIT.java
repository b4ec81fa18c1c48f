package io.tviewd.daemon;

import static io.tviewd.daemon.support.Sql.exec;
import static io.tviewd.daemon.support.Sql.session;
import static io.tviewd.daemon.support.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import io.tviewd.config.DatabaseConfig;
import io.tviewd.daemon.support.BlogDatabase;
import io.tviewd.daemon.support.Configs;
import io.tviewd.daemon.support.Daemons;
import io.tviewd.daemon.support.Tviews;
import io.tviewd.daemon.support.Workloads;

/**
 * The daemon runs as a role that is not a superuser, set up exactly as the README's least-privilege script says: a
 * member of the role owning the application's tables (publications need table ownership), with REPLICATION, and
 * CONNECT and CREATE on the database (for its own schema). Everything works: cdc, events, the workload converges.
 */
class LeastPrivilegeIT {

    /** The README's script, with the database name filled in (kept identical to it by this test's assertion below). */
    static String script(String database) {
        return """
                CREATE ROLE tviewd_daemon LOGIN REPLICATION PASSWORD 'change-me' IN ROLE app_owner;
                GRANT CONNECT, CREATE ON DATABASE %s TO tviewd_daemon;
                """.formatted(database);
    }

    @Test
    void aNonSuperuserDaemonRole_withTheDocumentedRights_maintainsEverything() throws Exception {
        DatabaseConfig admin = BlogDatabase.create("leastpriv", 20, 60, 120);
        try (Connection c = session(admin)) {
            exec(c, "CREATE ROLE app_owner NOLOGIN");
            // the application's objects belong to their owner role, as in a deployment
            exec(c, """
                    DO $$ DECLARE r record; BEGIN
                      FOR r IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                               WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'p') LOOP
                        EXECUTE format('ALTER %s public.%I OWNER TO app_owner', CASE r.relkind WHEN 'v' THEN 'VIEW' ELSE 'TABLE' END, r.relname);
                      END LOOP;
                    END $$""");
            exec(c, script(text(c, "SELECT current_database()")));
            assertThat(text(c, "SELECT rolsuper::text FROM pg_roles WHERE rolname = 'tviewd_daemon'")).isEqualTo("false");
        }
        var config = Configs.forDatabase(admin, "TVIEWD_DATABASE_USER", "tviewd_daemon", "TVIEWD_DATABASE_PASSWORD", "change-me",
                "TVIEWD_CDC_SLOT_NAME", "leastpriv", "TVIEWD_DISCOVERY_OWNERS", "app_owner");
        try (Daemon daemon = Daemons.started(config)) {
            assertThat(daemon.refused()).isEmpty();
            Workloads.run(admin, Workloads.seed(), 2, 100);
            Tviews.awaitConverged(admin, Duration.ofSeconds(60), "daemon as a non-superuser role");
        }
        // check verifies each of those rights, and names what a role lacks with the statement that grants it
        try (Connection daemonRole = new io.tviewd.connectors.postgres.PostgresSessions(config.database()).open("check")) {
            assertThat(io.tviewd.connectors.postgres.check.Preflight.run(daemonRole, config).render())
                    .contains("OK    rights: user tviewd_daemon has what tviewd needs (schema tviewd, 3 tviews and their views")
                    .doesNotContain("FAIL");
        }
        try (Connection c = session(admin)) {
            exec(c, "REVOKE app_owner FROM tviewd_daemon");
        }
        try (Connection daemonRole = new io.tviewd.connectors.postgres.PostgresSessions(config.database()).open("check")) {
            assertThat(io.tviewd.connectors.postgres.check.Preflight.run(daemonRole, config).render())
                    .contains("FAIL  rights: user tviewd_daemon lacks INSERT on tview public.tv_post (GRANT INSERT ON \"public\".\"tv_post\" TO tviewd_daemon)")
                    .contains("FAIL  rights: user tviewd_daemon lacks SELECT on view public.v_post")
                    .contains("FAIL  rights: user tviewd_daemon lacks membership in role app_owner, which owns public.tb_comment (publishing a "
                            + "table and trigger mode need its owner's rights: GRANT app_owner TO tviewd_daemon)");
        } finally {
            try (Connection c = session(admin)) {
                exec(c, "GRANT app_owner TO tviewd_daemon");
            }
        }
        assertThat(new String(java.nio.file.Files.readAllBytes(java.nio.file.Path.of("../README.md"))))
                .as("README's least-privilege script").contains(script("app").strip());
    }
}
