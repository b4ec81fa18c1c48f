package io.tviewd.daemon.cli;

import java.sql.Connection;
import java.util.List;
import java.util.concurrent.Callable;

import io.tviewd.config.TviewdConfig;
import io.tviewd.connectors.postgres.PostgresSessions;
import io.tviewd.connectors.postgres.plan.RefreshPlan;
import io.tviewd.connectors.postgres.refresh.Refresher;
import io.tviewd.connectors.postgres.refresh.TviewPopulator;
import io.tviewd.daemon.pipeline.TviewMaintenance;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tviewd populate TVIEW}: fill or rebuild a tview in chunks (short transactions) with a progress bar. */
@Command(name = "populate", mixinStandardHelpOptions = true,
        description = "Fill or rebuild a tview from its source view in key chunks, each in its own short transaction.")
final class PopulateCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "TVIEW", description = "tv_post or schema.tv_post")
    String tview;

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
        DatabaseOptions.installState(cfg);
        PostgresSessions sessions = new PostgresSessions(cfg.database());
        List<io.tviewd.connectors.postgres.plan.RefreshPlan> all = DatabaseOptions.all(cfg);
        try (Connection c = sessions.open("tviewd-populate", cfg.refresh().statementTimeout());
             Refresher refresher = new Refresher(sessions, cfg.refresh(), new io.tviewd.connectors.postgres.refresh.Readers(all))) {
            RefreshPlan plan = DatabaseOptions.find(c, cfg, tview);
            if (plan == null) {
                return Main.EXIT_FAILURE;
            }
            long t0 = System.nanoTime();
            TviewPopulator.Result r = TviewPopulator.populate(c, refresher, plan.tview(), chunkSize,
                    io.tviewd.connectors.postgres.refresh.RefreshCause.of("populate"), PopulateCommand::bar);
            System.out.printf("%n%s populated from %s: %d rows visited, %d written, %d deleted in %d ms%n", plan.tview().name(),
                    plan.tview().sourceView(), r.rows(), r.written(), r.deleted(), (System.nanoTime() - t0) / 1_000_000);
            if (r.written() + r.deleted() > 0) {
                for (String outer : TviewMaintenance.refreshDependents(sessions, cfg.refresh(), all, plan.tview(),
                        "populate")) {
                    System.out.printf("%s diff-refreshed: it reads %s%n", outer, plan.tview().name());
                }
            }
            return Main.EXIT_OK;
        }
    }

    static void bar(long done, long total) {
        int width = 30;
        int filled = total == 0 ? width : (int) Math.min(width, done * width / total);
        long pct = total == 0 ? 100 : Math.min(100, done * 100 / total);
        System.out.print("\r[" + "#".repeat(filled) + " ".repeat(width - filled) + "] " + pct + "% " + done + "/" + total + " rows");
    }
}
