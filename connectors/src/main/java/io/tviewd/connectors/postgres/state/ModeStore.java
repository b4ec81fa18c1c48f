package io.tviewd.connectors.postgres.state;

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
import io.tviewd.config.Schedule;
import io.tviewd.config.TviewDeclaration;
import io.tviewd.connectors.TableName;
import io.tviewd.connectors.postgres.plan.RefreshPlan;

/**
 * Each tview's refresh mode, persisted in {@code tviewd.tview_mode}. Config sets the initial mode of
 * a tview the table does not know yet; afterwards the table is authoritative (a mode changes by
 * cutover, not by editing config).
 */
public final class ModeStore {

    public static final String TABLE = StateSchema.SCHEMA + ".tview_mode";

    /** A tview's mode and, for {@code scheduled}, its schedule. */
    public record Mode(RefreshMode mode, Schedule schedule) {
    }

    private ModeStore() {
    }

    static void install(Connection c) throws SQLException {
        try (var s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " (tview text PRIMARY KEY, "
                    + "mode text NOT NULL CHECK (mode IN ('trigger', 'scheduled', 'cdc', 'manual')), "
                    + "schedule_ms bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())");
            // the running daemon acknowledges the mode it applies, and the CDC position it applied it at
            s.execute("ALTER TABLE " + TABLE + " ADD COLUMN IF NOT EXISTS ack_mode text, ADD COLUMN IF NOT EXISTS ack_lsn bigint, "
                    + "ADD COLUMN IF NOT EXISTS ack_at timestamptz, ADD COLUMN IF NOT EXISTS schedule text");
        }
    }

    /** Persisted modes, by tview table name (as stored, e.g. {@code public.tv_post}). */
    public static Map<String, Mode> read(Connection c) throws SQLException {
        Map<String, Mode> out = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT tview, mode, schedule_ms, schedule FROM " + TABLE);
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                String text = rs.getString(4);
                Schedule schedule = text != null ? Schedule.parse(text) : Schedule.every(Duration.ofMillis(Math.max(100, rs.getLong(3))));
                out.put(rs.getString(1), new Mode(RefreshMode.parse(rs.getString(2)), schedule));
            }
        }
        return out;
    }

    /** Sets a tview's mode (the running daemon applies it within a poll interval and acknowledges it). */
    public static void set(Connection c, TableName tview, RefreshMode mode) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + TABLE + " SET mode = ?, updated_at = now() WHERE tview = ?")) {
            ps.setString(1, mode.configName());
            ps.setString(2, tview.toString());
            if (ps.executeUpdate() != 1) {
                throw new SQLException("tview " + tview + " has no row in " + TABLE + ": start the daemon once first");
            }
        }
    }

    /** Records that the daemon now applies {@code mode}, from CDC position {@code lsn} on. */
    public static void acknowledge(Connection c, String tview, RefreshMode mode, long lsn) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + TABLE + " SET ack_mode = ?, ack_lsn = ?, ack_at = now() WHERE tview = ?")) {
            ps.setString(1, mode.configName());
            ps.setLong(2, lsn);
            ps.setString(3, tview);
            ps.executeUpdate();
        }
    }

    /** The mode the running daemon last acknowledged for the tview, or null. */
    public static RefreshMode acknowledged(Connection c, TableName tview) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT ack_mode FROM " + TABLE + " WHERE tview = ?")) {
            ps.setString(1, tview.toString());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getString(1) != null ? RefreshMode.parse(rs.getString(1)) : null;
            }
        }
    }

    /** Records the initial mode of tviews not yet in the table, then returns every plan's mode by tview table. */
    public static Map<TableName, Mode> sync(Connection c, List<RefreshPlan> plans, RefreshConfig config,
                                            List<TviewDeclaration> declared, String defaultSchema) throws SQLException {
        Map<TableName, TviewDeclaration> decl = new LinkedHashMap<>();
        declared.forEach(d -> decl.put(TableName.parse(d.table(), defaultSchema), d));
        try (PreparedStatement ins = c.prepareStatement("INSERT INTO " + TABLE + " (tview, mode, schedule_ms, schedule) VALUES (?, ?, ?, ?) "
                + "ON CONFLICT (tview) DO NOTHING")) {
            for (RefreshPlan p : plans) {
                TviewDeclaration d = decl.get(p.tview().table());
                RefreshMode mode = d != null && d.mode().isPresent() ? d.mode().get() : config.defaultMode();
                Schedule schedule = d != null && d.schedule().isPresent() ? d.schedule().get() : config.defaultSchedule();
                ins.setString(1, p.tview().table().toString());
                ins.setString(2, mode.configName());
                ins.setLong(3, schedule.interval() == null ? 0 : schedule.interval().toMillis());
                ins.setString(4, schedule.toString());
                ins.addBatch();
            }
            ins.executeBatch();
        }
        Map<TableName, Mode> out = new LinkedHashMap<>();
        for (Map.Entry<String, Mode> e : read(c).entrySet()) {
            out.put(TableName.parse(e.getKey(), defaultSchema), e.getValue());
        }
        if (!c.getAutoCommit()) {
            c.commit();
        }
        return out;
    }
}
