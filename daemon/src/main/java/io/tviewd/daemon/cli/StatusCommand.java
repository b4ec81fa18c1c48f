package io.tviewd.daemon.cli;

import java.sql.Connection;
import java.util.Map;
import java.util.concurrent.Callable;

import io.tviewd.config.RefreshMode;
import io.tviewd.config.TviewdConfig;
import io.tviewd.connectors.TableName;
import io.tviewd.connectors.postgres.PostgresSessions;
import io.tviewd.connectors.postgres.plan.RefreshPlan;
import io.tviewd.connectors.postgres.plan.TviewPlans;
import io.tviewd.connectors.postgres.state.ModeStore;
import io.tviewd.connectors.postgres.state.StateSchema;
import io.tviewd.connectors.postgres.triggers.TriggerInstaller;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code tviewd status}: each tview's persisted mode (and schedule), key, source view and installed triggers. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show each tview's refresh mode, schedule, key, source view and trigger state, from the database.")
final class StatusCommand implements Callable<Integer> {

    @Mixin
    DatabaseOptions database;

    /** The daemon's replication slots (CDC and event streams): whether a process holds them and the WAL they retain. */
    private static void slots(Connection c, TviewdConfig cfg) throws java.sql.SQLException {
        try (java.sql.PreparedStatement ps = c.prepareStatement("SELECT slot_name, active, "
                + "coalesce(pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)), '-') "
                + "FROM pg_replication_slots WHERE slot_name = ? OR slot_name LIKE ? ORDER BY 1")) {
            ps.setString(1, cfg.cdc().slotName());
            ps.setString(2, cfg.cdc().slotName().replace("_", "\\_") + "\\_ev\\_%");
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                System.out.printf("%n%-24s %-8s %s%n", "SLOT", "ACTIVE", "BEHIND (WAL not yet confirmed)");
                while (rs.next()) {
                    System.out.printf("%-24s %-8s %s%n", rs.getString(1), rs.getBoolean(2) ? "yes" : "no", rs.getString(3));
                }
            }
        }
    }

    @Override
    public Integer call() throws Exception {
        TviewdConfig cfg = database.load();
        if (cfg == null) {
            return Main.EXIT_CONFIG;
        }
        try (Connection c = new PostgresSessions(cfg.database()).open("tviewd-status")) {
            StateSchema.install(c);
            TviewPlans plans = TviewPlans.read(c, cfg);
            Map<TableName, ModeStore.Mode> modes = ModeStore.sync(c, plans.plans(), cfg.refresh(), cfg.tviews(),
                    cfg.discovery().schemas().get(0));
            System.out.printf("%-24s %-10s %-10s %-14s %-24s %s%n", "TVIEW", "MODE", "SCHEDULE", "KEY", "SOURCE VIEW", "TRIGGERS");
            for (RefreshPlan p : plans.plans()) {
                ModeStore.Mode m = modes.get(p.tview().table());
                System.out.printf("%-24s %-10s %-10s %-14s %-24s %d%n", p.tview().name(), m.mode().configName(),
                        m.mode() == RefreshMode.SCHEDULED ? m.schedule().toString() : "-",
                        p.tview().keyColumn() + " " + p.tview().keyType(), p.tview().sourceView(),
                        TriggerInstaller.installed(c, p.tview()).size());
            }
            plans.refused().forEach((t, why) -> System.out.printf("%-24s %-10s %s%n", t, "refused", why));
            slots(c, cfg);
            return Main.EXIT_OK;
        }
    }
}
