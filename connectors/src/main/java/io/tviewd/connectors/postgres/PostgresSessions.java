package io.tviewd.connectors.postgres;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;

import io.tviewd.config.DatabaseConfig;

/**
 * Opens JDBC sessions to the maintained database. Every session pins the rendering settings that
 * make refreshed documents deterministic (TimeZone, DateStyle, IntervalStyle, extra_float_digits,
 * bytea_output), so a tview row does not change just because another session rendered it.
 */
public final class PostgresSessions {

    /** Session settings pinned for every refresh session (DESIGN.md, "Deterministic rendering"). */
    public static final String PINNED_SETTINGS =
            "SET search_path = pg_catalog, pg_temp; SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; "
                    + "SET extra_float_digits = 1; SET bytea_output = 'hex'";

    private final DatabaseConfig config;

    public PostgresSessions(DatabaseConfig config) {
        if (config.url().isEmpty()) {
            throw new IllegalArgumentException("database.url is empty: nothing to connect to");
        }
        this.config = config;
    }

    public DatabaseConfig config() {
        return config;
    }

    /** Opens a session with pinned settings, the given statement timeout and application name. */
    public Connection open(String applicationName, Duration statementTimeout) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", config.user());
        if (!config.password().isEmpty()) {
            props.setProperty("password", config.password().reveal());
        }
        props.setProperty("ApplicationName", applicationName);
        props.setProperty("connectTimeout", "10");
        props.setProperty("tcpKeepAlive", "true");
        Connection c = DriverManager.getConnection(config.url(), props);
        try (Statement s = c.createStatement()) {
            s.execute(PINNED_SETTINGS);
            s.execute("SET statement_timeout = " + Math.max(0, statementTimeout.toMillis()));
        } catch (SQLException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /**
     * A session for application SQL (the demo's and the benchmark's schema and writers): pinned like the others, but with
     * the server's default {@code search_path}, so unqualified names mean what they mean to the application. The
     * daemon's own SQL never runs in one.
     */
    public Connection openApplication(String applicationName) throws SQLException {
        Connection c = open(applicationName, Duration.ofSeconds(30));
        try (Statement s = c.createStatement()) {
            s.execute("RESET search_path");
        } catch (SQLException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /** Work done in one transaction ({@link #inTransaction}). */
    @FunctionalInterface
    public interface Transactional<T> {
        T run() throws SQLException, java.io.IOException;
    }

    /**
     * Runs {@code work} in one transaction on {@code c}: committed when it returns, rolled back when it throws; the
     * connection's auto-commit setting is restored either way.
     */
    public static <T> T inTransaction(Connection c, Transactional<T> work) throws SQLException, java.io.IOException {
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            T result = work.run();
            c.commit();
            return result;
        } catch (SQLException | java.io.IOException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }
    }

    /** Closes a session that may already be broken (its owner drops it and opens a new one when needed); null is fine. */
    public static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // broken anyway: nothing to release beyond what closing tried
            }
        }
    }

    /** Opens a short-lived administrative session (no statement timeout beyond 30 s). */
    public Connection open(String applicationName) throws SQLException {
        return open(applicationName, Duration.ofSeconds(30));
    }
}
