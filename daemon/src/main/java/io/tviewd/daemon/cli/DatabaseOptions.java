package io.tviewd.daemon.cli;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;

import io.tviewd.config.TviewdConfig;
import io.tviewd.connectors.postgres.plan.RefreshPlan;
import io.tviewd.connectors.postgres.plan.TviewPlans;
import picocli.CommandLine.Option;

/** The options every command working on an existing database shares (a picocli mixin). */
final class DatabaseOptions {

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "YAML configuration file (TVIEWD_* variables also apply).")
    Path config;

    /** The configuration, or null after printing why it cannot be used. */
    TviewdConfig load() {
        return RunCommand.loadForDatabase(config);
    }

    /** The plan of the named tview, or null after printing the known names (and the refusal, if refused). */
    static RefreshPlan find(Connection c, TviewdConfig cfg, String name) throws SQLException {
        TviewPlans plans = TviewPlans.read(c, cfg);
        RefreshPlan plan = plans.find(name).orElse(null);
        if (plan == null) {
            String refused = plans.refused().entrySet().stream()
                    .filter(e -> e.getKey().equals(name) || e.getKey().endsWith("." + name)).map(e -> " (refused: " + e.getValue() + ")")
                    .findFirst().orElse("");
            System.err.println("tviewd: no tview named '" + name + "'" + refused + "; known: "
                    + plans.plans().stream().map(p -> p.tview().name()).toList());
        }
        return plan;
    }

    /** Like {@link #find(Connection, TviewdConfig, String)} on a session of its own. */
    static RefreshPlan find(TviewdConfig cfg, String name) throws SQLException {
        try (Connection c = new io.tviewd.connectors.postgres.PostgresSessions(cfg.database()).open("tviewd-cli")) {
            return find(c, cfg, name);
        }
    }

    /**
     * Creates the daemon's schema when it is missing (a command run before the daemon's first start): refresh statements
     * that emit events read the event key from it.
     */
    static void installState(TviewdConfig cfg) throws SQLException {
        try (Connection c = new io.tviewd.connectors.postgres.PostgresSessions(cfg.database()).open("tviewd-cli")) {
            io.tviewd.connectors.postgres.state.StateSchema.install(c);
        }
    }

    /** Every plan in refresh order, for carrying a refresh on to the tviews that read the refreshed one. */
    static java.util.List<RefreshPlan> all(TviewdConfig cfg) throws SQLException {
        try (Connection c = new io.tviewd.connectors.postgres.PostgresSessions(cfg.database()).open("tviewd-cli")) {
            return TviewPlans.read(c, cfg).plans();
        }
    }

    /** Validates a {@code --chunk-size}; prints the problem and returns false when out of range. */
    static boolean validChunkSize(int chunkSize) {
        if (chunkSize < 1 || chunkSize > 1_000_000) {
            System.err.println("Invalid value '" + chunkSize + "' for '--chunk-size': must be between 1 and 1000000");
            return false;
        }
        return true;
    }
}
