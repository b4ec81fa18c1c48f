package io.tviewd.connectors.postgres.refresh;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import io.tviewd.connectors.postgres.catalog.Tview;

/**
 * Compares a tview with its source view row for row (on the copied columns), in the database.
 * Used by {@code demo}'s final check and by tests; chunked verify with repair is a separate tool.
 */
public final class TviewComparison {

    /** Differing keys (at most {@code limit}); empty means the tview equals its view. */
    public record Drift(Tview tview, List<String> keys, long viewRows, long tviewRows) {
        public boolean none() {
            return keys.isEmpty();
        }
    }

    private TviewComparison() {
    }

    public static Drift compare(Connection c, Tview t, int limit) throws SQLException {
        List<String> keys = new ArrayList<>();
        try (Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery(RefreshStatements.differingKeys(t, limit))) {
                while (rs.next()) {
                    keys.add(rs.getString(1));
                }
            }
            return new Drift(t, keys, count(s, t.sourceView().quoted()), count(s, t.table().quoted()));
        }
    }

    private static long count(Statement s, String rel) throws SQLException {
        try (ResultSet rs = s.executeQuery("SELECT count(*) FROM " + rel)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
