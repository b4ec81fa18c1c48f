package io.tviewd.daemon.cli;

import java.sql.Connection;
import java.util.concurrent.Callable;

import io.tviewd.config.TviewdConfig;
import io.tviewd.connectors.postgres.PostgresSessions;
import io.tviewd.connectors.postgres.check.Preflight;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code tviewd check --config FILE}: the read-only preflight report; exit 1 when something blocks CDC refresh. */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = "Preflight: wal_level, slot, publication, and each tview's key, source view and refresh plan as SQL. Changes nothing.")
final class CheckCommand implements Callable<Integer> {

    @Mixin
    DatabaseOptions database;

    @Override
    public Integer call() throws Exception {
        TviewdConfig cfg = database.load();
        if (cfg == null) {
            return Main.EXIT_CONFIG;
        }
        try (Connection c = new PostgresSessions(cfg.database()).open("tviewd-check")) {
            Preflight.Report report = Preflight.run(c, cfg);
            System.out.println("tviewd check — " + cfg.database().redactedUrl());
            System.out.println(report.render());
            System.out.println(report.blocking() ? "Something blocks CDC refresh (FAIL lines above)." : "Ready for CDC refresh.");
            return report.blocking() ? Main.EXIT_FAILURE : Main.EXIT_OK;
        }
    }
}
