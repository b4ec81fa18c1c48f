package io.tviewd.daemon;

import java.nio.file.Path;
import java.sql.Connection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

import io.tviewd.config.TviewdConfig;
import io.tviewd.connectors.postgres.PostgresSessions;
import io.tviewd.connectors.postgres.RefreshPlan;
import io.tviewd.connectors.postgres.RefreshRequest;
import io.tviewd.connectors.postgres.RefreshResult;
import io.tviewd.connectors.postgres.TviewPlans;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tviewd refresh TVIEW [--keys K,…]}: recompute given keys, or the whole tview (diff refresh), now. */
@Command(name = "refresh", mixinStandardHelpOptions = true,
        description = "Refresh a tview now: the given keys, or all of it (only rows that differ are written).")
final class RefreshCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "TVIEW", description = "tv_post or schema.tv_post")
    String tview;

    @Option(names = "--keys", split = ",", paramLabel = "KEY", description = "Keys to recompute (comma-separated); default: the whole tview.")
    List<String> keys;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "YAML configuration file (TVIEWD_* variables also apply).")
    Path config;

    @Override
    public Integer call() throws Exception {
        TviewdConfig cfg = RunCommand.loadForDatabase(config);
        if (cfg == null) {
            return Main.EXIT_CONFIG;
        }
        PostgresSessions sessions = new PostgresSessions(cfg.database());
        RefreshPlan plan;
        try (Connection c = sessions.open("tviewd-refresh-cli")) {
            TviewPlans plans = TviewPlans.read(c, cfg);
            plan = plans.find(tview).orElse(null);
            if (plan == null) {
                System.err.println("tviewd: no tview named '" + tview + "'; known: " + plans.plans().stream().map(p -> p.tview().name()).toList());
                return Main.EXIT_FAILURE;
            }
        }
        RefreshResult r = TviewMaintenance.refresh(sessions, cfg.refresh(), plan, keys);
        if (r.failed()) {
            System.err.println("tviewd: " + r.error());
            return Main.EXIT_FAILURE;
        }
        System.out.printf("%s refreshed%s: %d keys recomputed, %d written, %d deleted, %d unchanged in %d ms%n", plan.tview().name(),
                keys == null ? " (all rows)" : "", r.keys(), r.written(), r.deleted(), r.unchanged(), r.nanos() / 1_000_000);
        return Main.EXIT_OK;
    }

    static Set<String> distinct(List<String> keys) {
        Set<String> out = new LinkedHashSet<>();
        keys.forEach(k -> out.add(k.trim()));
        return out;
    }

    static RefreshRequest request(RefreshPlan plan, List<String> keys) {
        return keys == null ? RefreshRequest.full(plan.tview()) : RefreshRequest.keys(plan.tview(), distinct(keys));
    }

}
