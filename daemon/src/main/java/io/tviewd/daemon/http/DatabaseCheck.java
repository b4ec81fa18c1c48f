package io.tviewd.daemon.http;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

import io.tviewd.connectors.postgres.PostgresSessions;

/** Readiness check: can a session reach the database and run a query within 2 seconds. Blocking. */
public final class DatabaseCheck {

    private final PostgresSessions sessions;
    private Connection connection;

    public DatabaseCheck(PostgresSessions sessions) {
        this.sessions = sessions;
    }

    /** @return null when healthy, otherwise the reason */
    synchronized String check() {
        try {
            if (connection == null || connection.isClosed()) {
                connection = sessions.open("tviewd-health", Duration.ofSeconds(2));
            }
            try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery("SELECT 1")) {
                rs.next();
            }
            return null;
        } catch (SQLException e) {
            close();
            return e.getMessage();
        }
    }

    synchronized void close() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // closing a broken health-check session: nothing left to do
            }
            connection = null;
        }
    }
}
