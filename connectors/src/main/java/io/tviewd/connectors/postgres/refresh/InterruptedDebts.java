package io.tviewd.connectors.postgres.refresh;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collection;

/**
 * The debts a refresher call records for the tviews it carries changes on to before it commits part of its work, in the
 * table of owed full refreshes ({@code tviewd.owed_refresh}, kept by the state package's {@code OwedRefreshes}, which
 * reads them back and pays them); the call's last transaction removes them (see {@link Refresher}).
 */
final class InterruptedDebts {

    /** The table of owed full refreshes (a constant of the state stage, inlined). */
    private static final String TABLE = io.tviewd.connectors.postgres.state.OwedRefreshes.TABLE;

    private InterruptedDebts() {
    }

    /**
     * In the caller's transaction (no commit): records each tview as owed with {@code reason} unless it already is owed
     * (for whatever reason, by whoever stated it).
     *
     * @return the tviews it recorded: the only ones the caller may {@link #unmark}
     */
    static java.util.List<String> mark(Connection c, Collection<String> tviews, String reason) throws SQLException {
        java.util.List<String> out = new java.util.ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + TABLE + " (tview, reason) SELECT t, ? FROM unnest(?::text[]) t "
                + "ON CONFLICT (tview) DO NOTHING RETURNING tview")) {
            ps.setString(1, reason);
            ps.setArray(2, c.createArrayOf("text", tviews.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    /** In the caller's transaction (no commit): removes the debts of these tviews that are stated with {@code reason}. */
    static void unmark(Connection c, Collection<String> tviews, String reason) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + TABLE + " WHERE tview = ANY (?) AND reason = ?")) {
            ps.setArray(1, c.createArrayOf("text", tviews.toArray()));
            ps.setString(2, reason);
            ps.executeUpdate();
        }
    }
}
