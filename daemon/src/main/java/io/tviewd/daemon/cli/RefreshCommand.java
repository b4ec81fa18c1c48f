package io.tviewd.daemon.cli;

import java.util.List;
import java.util.concurrent.Callable;

import io.tviewd.config.TviewdConfig;
import io.tviewd.connectors.postgres.PostgresSessions;
import io.tviewd.connectors.postgres.plan.RefreshPlan;
import io.tviewd.connectors.postgres.refresh.RefreshResult;
import io.tviewd.daemon.pipeline.TviewMaintenance;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tviewd refresh TVIEW [--keys K,…]}: recompute given keys, or the whole tview (diff refresh), now. */
@Command(name = "refresh", mixinStandardHelpOptions = true,
        description = "Refresh a tview now: the given keys, or all of it (only rows that differ are written).")
public final class RefreshCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "TVIEW", description = "tv_post or schema.tv_post")
    String tview;

    @Option(names = "--keys", split = ",", paramLabel = "KEY", description = "Keys to recompute (comma-separated); default: the whole tview.")
    List<String> keys;

    @Mixin
    DatabaseOptions database;

    @Override
    public Integer call() throws Exception {
        TviewdConfig cfg = database.load();
        if (cfg == null) {
            return Main.EXIT_CONFIG;
        }
        DatabaseOptions.installState(cfg);
        PostgresSessions sessions = new PostgresSessions(cfg.database());
        RefreshPlan plan = DatabaseOptions.find(cfg, tview);
        if (plan == null) {
            return Main.EXIT_FAILURE;
        }
        RefreshResult r = TviewMaintenance.refresh(sessions, cfg.refresh(), plan, keys, DatabaseOptions.all(cfg));
        if (r.failed()) {
            System.err.println("tviewd: " + r.error());
            return Main.EXIT_FAILURE;
        }
        System.out.printf("%s refreshed%s: %d keys recomputed, %d written, %d deleted, %d unchanged in %d ms%n", plan.tview().name(),
                keys == null ? " (all rows)" : "", r.keys(), r.written(), r.deleted(), r.unchanged(), r.nanos() / 1_000_000);
        return Main.EXIT_OK;
    }

}
