package io.tviewd.connectors.postgres.state;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import io.tviewd.config.RefreshMode;
import io.tviewd.connectors.TableName;

/**
 * The cutover journal in schema {@code tviewd}: one row per cutover (tview, from, to, status) and one
 * per step (status, LSN, timestamps, error), written as each step starts and ends, so an interrupted
 * cutover can be found, resumed or rolled back.
 */
public final class CutoverJournal {

    public static final String CUTOVERS = StateSchema.SCHEMA + ".cutover";
    public static final String STEPS = StateSchema.SCHEMA + ".cutover_step";

    /** A journaled cutover. */
    public record Entry(long id, String tview, RefreshMode from, RefreshMode to, String status) {
    }

    /** A journaled step. */
    public record StepRow(int number, String name, String status, String lsn, String error) {
    }

    private CutoverJournal() {
    }

    static void install(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS " + CUTOVERS + " (id bigserial PRIMARY KEY, tview text NOT NULL, "
                    + "from_mode text NOT NULL, to_mode text NOT NULL, status text NOT NULL, "
                    + "started_at timestamptz NOT NULL DEFAULT now(), finished_at timestamptz, error text)");
            s.execute("CREATE TABLE IF NOT EXISTS " + STEPS + " (cutover_id bigint NOT NULL REFERENCES " + CUTOVERS
                    + " (id), step int NOT NULL, name text NOT NULL, status text NOT NULL, lsn text, "
                    + "started_at timestamptz, finished_at timestamptz, error text, PRIMARY KEY (cutover_id, step))");
        }
    }

    public static long begin(Connection c, TableName tview, RefreshMode from, RefreshMode to, List<String> steps) throws SQLException {
        long id;
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + CUTOVERS + " (tview, from_mode, to_mode, status) "
                + "VALUES (?, ?, ?, 'running') RETURNING id")) {
            ps.setString(1, tview.toString());
            ps.setString(2, from.configName());
            ps.setString(3, to.configName());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                id = rs.getLong(1);
            }
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + STEPS + " (cutover_id, step, name, status) VALUES (?, ?, ?, 'pending')")) {
            for (int i = 0; i < steps.size(); i++) {
                ps.setLong(1, id);
                ps.setInt(2, i + 1);
                ps.setString(3, steps.get(i));
                ps.addBatch();
            }
            ps.executeBatch();
        }
        return id;
    }

    /** The unfinished ({@code running} or {@code failed}) cutover of a tview, if any. */
    public static Entry open(Connection c, TableName tview) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT id, tview, from_mode, to_mode, status FROM " + CUTOVERS
                + " WHERE tview = ? AND status IN ('running', 'failed') ORDER BY id DESC LIMIT 1")) {
            ps.setString(1, tview.toString());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new Entry(rs.getLong(1), rs.getString(2), RefreshMode.parse(rs.getString(3)),
                        RefreshMode.parse(rs.getString(4)), rs.getString(5)) : null;
            }
        }
    }

    /** Every unfinished cutover (for the warning at daemon start). */
    public static List<Entry> open(Connection c) throws SQLException {
        List<Entry> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT id, tview, from_mode, to_mode, status FROM " + CUTOVERS
                + " WHERE status IN ('running', 'failed') ORDER BY id"); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new Entry(rs.getLong(1), rs.getString(2), RefreshMode.parse(rs.getString(3)),
                        RefreshMode.parse(rs.getString(4)), rs.getString(5)));
            }
        }
        return out;
    }

    public static List<StepRow> steps(Connection c, long id) throws SQLException {
        List<StepRow> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT step, name, status, lsn, error FROM " + STEPS
                + " WHERE cutover_id = ? ORDER BY step")) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new StepRow(rs.getInt(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5)));
                }
            }
        }
        return out;
    }

    public static void step(Connection c, long id, int step, String status, String lsn, String error) throws SQLException {
        String times = "running".equals(status) ? "started_at = now()" : "finished_at = now()";
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + STEPS + " SET status = ?, lsn = coalesce(?, lsn), error = ?, " + times
                + " WHERE cutover_id = ? AND step = ?")) {
            ps.setString(1, status);
            ps.setString(2, lsn);
            ps.setString(3, error);
            ps.setLong(4, id);
            ps.setInt(5, step);
            ps.executeUpdate();
        }
    }

    public static void finish(Connection c, long id, String status, String error) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + CUTOVERS + " SET status = ?, error = ?, finished_at = now() WHERE id = ?")) {
            ps.setString(1, status);
            ps.setString(2, error);
            ps.setLong(3, id);
            ps.executeUpdate();
        }
    }
}
