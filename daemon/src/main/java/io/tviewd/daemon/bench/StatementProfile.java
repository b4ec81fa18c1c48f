package io.tviewd.daemon.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import io.tviewd.connectors.postgres.PostgresSessions;

/**
 * Where PostgreSQL spent a measured run: the top statements of {@code pg_stat_statements} (calls, total and mean
 * execution and planning time, rows), written as {@code statements-<run>.txt} beside the daemon logs. Silent when the
 * server does not load the extension (a configured database may not): the benchmark never depends on it.
 */
final class StatementProfile {

    private static final int TOP = 15;
    private final PostgresSessions sessions;
    private final Path dir;
    private boolean available;

    StatementProfile(PostgresSessions sessions, Path dir) {
        this.sessions = sessions;
        this.dir = dir;
        try (Connection c = sessions.openApplication("tviewd-bench"); Statement s = c.createStatement()) {
            s.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            s.executeQuery("SELECT count(*) FROM pg_stat_statements").close();
            available = true;
        } catch (SQLException e) {
            available = false;
        }
    }

    void reset() throws SQLException {
        if (!available) {
            return;
        }
        try (Connection c = sessions.openApplication("tviewd-bench"); Statement s = c.createStatement()) {
            s.executeQuery("SELECT pg_stat_statements_reset()").close();
        }
    }

    void write(String run) throws SQLException, IOException {
        if (!available) {
            return;
        }
        StringBuilder out = new StringBuilder(String.format("%10s %12s %10s %10s %12s  %s%n", "calls", "total ms", "mean ms", "plan ms",
                "rows", "query"));
        try (Connection c = sessions.openApplication("tviewd-bench"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT calls, total_exec_time, mean_exec_time, total_plan_time, rows, "
                     + "regexp_replace(query, '\\\\s+', ' ', 'g') FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT " + TOP)) {
            while (rs.next()) {
                String q = rs.getString(6);
                out.append(String.format("%10d %12.1f %10.3f %10.1f %12d  %s%n", rs.getLong(1), rs.getDouble(2), rs.getDouble(3),
                        rs.getDouble(4), rs.getLong(5), q.length() > 300 ? q.substring(0, 300) + " …" : q));
            }
        }
        Files.writeString(dir.resolve("statements-" + run.replaceAll("[^A-Za-z0-9-]", "_") + ".txt"), out.toString());
    }
}
