package io.tviewd.connectors.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.tviewd.config.RefreshConfig;
import io.tviewd.config.RefreshMode;
import io.tviewd.config.TviewDeclaration;
import io.tviewd.connectors.TableName;

/**
 * Each tview's refresh mode, persisted in {@code tviewd.tview_mode}. Config sets the initial mode of
 * a tview the table does not know yet; afterwards the table is authoritative (a mode changes by
 * cutover, not by editing config).
 */
public final class ModeStore {

    public static final String TABLE = StateSchema.SCHEMA + ".tview_mode";

    /** A tview's mode and, for {@code scheduled}, its interval. */
    public record Mode(RefreshMode mode, Duration schedule) {
    }

    private ModeStore() {
    }

    static void install(Connection c) throws SQLException {
        try (var s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " (tview text PRIMARY KEY, "
                    + "mode text NOT NULL CHECK (mode IN ('trigger', 'scheduled', 'cdc', 'manual')), "
                    + "schedule_ms bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())");
        }
    }

    /** Records the initial mode of tviews not yet in the table, then returns every plan's mode by tview table. */
    public static Map<TableName, Mode> sync(Connection c, List<RefreshPlan> plans, RefreshConfig config,
                                            List<TviewDeclaration> declared, String defaultSchema) throws SQLException {
        Map<TableName, TviewDeclaration> decl = new LinkedHashMap<>();
        declared.forEach(d -> decl.put(TableName.parse(d.table(), defaultSchema), d));
        try (PreparedStatement ins = c.prepareStatement("INSERT INTO " + TABLE + " (tview, mode, schedule_ms) VALUES (?, ?, ?) "
                + "ON CONFLICT (tview) DO NOTHING")) {
            for (RefreshPlan p : plans) {
                TviewDeclaration d = decl.get(p.tview().table());
                RefreshMode mode = d != null && d.mode().isPresent() ? d.mode().get() : config.defaultMode();
                Duration schedule = d != null && d.schedule().isPresent() ? d.schedule().get() : config.defaultSchedule();
                ins.setString(1, p.tview().table().toString());
                ins.setString(2, mode.configName());
                ins.setLong(3, schedule.toMillis());
                ins.addBatch();
            }
            ins.executeBatch();
        }
        Map<TableName, Mode> out = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT tview, mode, schedule_ms FROM " + TABLE);
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.put(TableName.parse(rs.getString(1), defaultSchema),
                        new Mode(RefreshMode.parse(rs.getString(2)), Duration.ofMillis(rs.getLong(3))));
            }
        }
        if (!c.getAutoCommit()) {
            c.commit();
        }
        return out;
    }
}
