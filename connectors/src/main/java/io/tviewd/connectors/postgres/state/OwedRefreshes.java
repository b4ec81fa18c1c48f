package io.tviewd.connectors.postgres.state;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Tviews owed a full refresh, persisted in {@code tviewd.owed_refresh}: a tview gets a row before the change
 * stream moves past anything it did not apply (its refresh failed and it was quarantined, a new slot or
 * publication left it behind, a tview it reads was quarantined), and loses it only after a diff refresh of the
 * whole tview committed. A row therefore survives restarts and crashes: the next run owes the same refresh.
 */
public final class OwedRefreshes {

    public static final String TABLE = StateSchema.SCHEMA + ".owed_refresh";

    /**
     * One debt: why, since when, and when it was last (re)stated. {@code owedAt} identifies this statement of the
     * debt: a recovery settles only the statement it started from, never one made while it ran.
     */
    public record Owed(String tview, String reason, Instant since, Instant owedAt) {
    }

    private OwedRefreshes() {
    }

    static void install(Connection c) throws SQLException {
        try (var s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " (tview text PRIMARY KEY, reason text NOT NULL, "
                    + "since timestamptz NOT NULL DEFAULT clock_timestamp(), owed_at timestamptz NOT NULL DEFAULT clock_timestamp())");
            s.execute("COMMENT ON TABLE " + TABLE + " IS 'tviewd: tviews owed a full (chunked diff) refresh; "
                    + "a row is removed only after that refresh committed'");
        }
    }

    /** Every debt, by tview table name (e.g. {@code public.tv_post}). */
    public static Map<String, Owed> read(Connection c) throws SQLException {
        Map<String, Owed> out = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT tview, reason, since, owed_at FROM " + TABLE + " ORDER BY since");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.put(rs.getString(1), new Owed(rs.getString(1), rs.getString(2), rs.getTimestamp(3).toInstant(),
                        rs.getTimestamp(4).toInstant()));
            }
        }
        return out;
    }

    /**
     * Records (or restates, keeping {@code since}) that each tview is owed a full refresh, with its reason, in one
     * statement batch; commits when the connection is not in autocommit.
     */
    public static void owe(Connection c, Map<String, String> reasons) throws SQLException {
        if (reasons.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + TABLE + " (tview, reason) VALUES (?, ?) "
                + "ON CONFLICT (tview) DO UPDATE SET reason = EXCLUDED.reason, owed_at = clock_timestamp()")) {
            for (Map.Entry<String, String> e : reasons.entrySet()) {
                ps.setString(1, e.getKey());
                ps.setString(2, e.getValue());
                ps.addBatch();
            }
            ps.executeBatch();
        }
        if (!c.getAutoCommit()) {
            c.commit();
        }
    }

    /** Removes these debts whatever their statement (a start-up that found nothing new to reconcile). */
    public static void cancel(Connection c, Collection<String> tviews) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + TABLE + " WHERE tview = ANY (?)")) {
            ps.setArray(1, c.createArrayOf("text", tviews.toArray()));
            ps.executeUpdate();
        }
        if (!c.getAutoCommit()) {
            c.commit();
        }
    }

    /**
     * Removes the debt as stated at {@code owedAt}; a debt restated since stays.
     *
     * @return true when the row was removed
     */
    public static boolean settle(Connection c, String tview, Instant owedAt) throws SQLException {
        boolean removed;
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + TABLE + " WHERE tview = ? AND owed_at <= ?")) {
            ps.setString(1, tview);
            ps.setTimestamp(2, Timestamp.from(owedAt));
            removed = ps.executeUpdate() > 0;
        }
        if (!c.getAutoCommit()) {
            c.commit();
        }
        return removed;
    }
}
