package io.tviewd.connectors.clickhouse;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;

import io.tviewd.connectors.postgres.state.StateSchema;

/**
 * What the ClickHouse sink owes ClickHouse for the rows that existed before its slot: a new slot streams only later
 * events, so every forwarded tview is copied once, in key order and in chunks, with {@code _version = 0}. Any event
 * after the slot's creation has a higher version and wins over the copy, and a key left unchanged since then reads the
 * same from any later snapshot, so the copy can never shadow a newer row. The debt is stored in
 * {@code tviewd.clickhouse_backfill} <em>before</em> the slot is created (a crash in between still owes it), with the
 * last key copied, so an interrupted copy resumes where it stopped.
 */
public final class InitialBackfill {

    static final String TABLE = StateSchema.SCHEMA + ".clickhouse_backfill";
    /** The row that stands for every tview the sink forwards, until the sink knows which those are. */
    static final String ALL = "*";
    /** The automatic copy when the sink's slot is new (version 0). */
    static final String INITIAL = "initial";
    /** {@code tviewd clickhouse backfill} (versions from the current LSN). */
    static final String COMMAND = "command";

    private InitialBackfill() {
    }

    static void install(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " (tview text NOT NULL, kind text NOT NULL, after_key text, "
                    + "owed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (tview, kind))");
        }
    }

    /** Owes a copy of every forwarded tview; call before creating the sink's slot. */
    public static void oweAll(Connection c) throws SQLException {
        install(c);
        try (Statement s = c.createStatement()) {
            s.execute("INSERT INTO " + TABLE + " (tview, kind) VALUES ('" + ALL + "', '" + INITIAL + "') ON CONFLICT DO NOTHING");
        }
    }

    /** The debts of one kind: tview (or {@link #ALL}) → last key copied (null before the first chunk). */
    static Map<String, String> owed(Connection c, String kind) throws SQLException {
        install(c);
        Map<String, String> out = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT tview, after_key FROM " + TABLE + " WHERE kind = ? ORDER BY owed_at, tview")) {
            ps.setString(1, kind);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getString(2));
                }
            }
        }
        return out;
    }

    /** Starts (or keeps, to resume) a debt of {@code kind} for one tview. */
    static void owe(Connection c, String tview, String kind) throws SQLException {
        install(c);
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + TABLE + " (tview, kind) VALUES (?, ?) ON CONFLICT DO NOTHING")) {
            ps.setString(1, tview);
            ps.setString(2, kind);
            ps.executeUpdate();
        }
    }

    /** Replaces {@link #ALL} with one debt per forwarded tview (in one transaction). */
    static void expand(Connection c, Iterable<String> tviews) throws SQLException {
        try {
            io.tviewd.connectors.postgres.PostgresSessions.inTransaction(c, () -> {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + TABLE + " (tview, kind) VALUES (?, '" + INITIAL
                        + "') ON CONFLICT DO NOTHING"); Statement s = c.createStatement()) {
                    for (String t : tviews) {
                        ps.setString(1, t);
                        ps.addBatch();
                    }
                    ps.executeBatch();
                    s.execute("DELETE FROM " + TABLE + " WHERE tview = '" + ALL + "' AND kind = '" + INITIAL + "'");
                }
                return null;
            });
        } catch (java.io.IOException e) {
            throw new SQLException(e);
        }
    }

    static void progress(Connection c, String tview, String kind, String afterKey) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + TABLE + " SET after_key = ? WHERE tview = ? AND kind = ?")) {
            ps.setString(1, afterKey);
            ps.setString(2, tview);
            ps.setString(3, kind);
            ps.executeUpdate();
        }
    }

    static void paid(Connection c, String tview, String kind) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + TABLE + " WHERE tview = ? AND kind = ?")) {
            ps.setString(1, tview);
            ps.setString(2, kind);
            ps.executeUpdate();
        }
    }
}
