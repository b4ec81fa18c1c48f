package io.tviewd.daemon.support;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import io.tviewd.config.DatabaseConfig;
import io.tviewd.connectors.postgres.PostgresSessions;

/** Small SQL helpers for tests: sessions with the daemon's pinned settings, statements, scalar reads. */
public final class Sql {

    private Sql() {
    }

    public static Connection session(DatabaseConfig db) throws SQLException {
        return new PostgresSessions(db).openApplication("test");
    }

    public static void exec(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /** The first column of the first row as text, or null when there is no row. */
    public static String text(Connection c, String sql) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getString(1) : null;
        }
    }
}
