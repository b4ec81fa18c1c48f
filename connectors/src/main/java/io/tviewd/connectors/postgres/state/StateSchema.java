package io.tviewd.connectors.postgres.state;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The daemon's own objects, all in schema {@code tviewd}: stored CDC offsets (and, as later issues
 * land, modes and the cutover journal). Creation is idempotent and runs at every start.
 */
public final class StateSchema {

    public static final String SCHEMA = "tviewd";
    public static final String OFFSETS = SCHEMA + ".offsets";
    /** One-row table the CDC heartbeat writes, so an idle database still moves the slot forward. */
    public static final String HEARTBEAT = SCHEMA + ".heartbeat";
    /**
     * One row: the key every refresh-event message carries ({@code 'a'}), read by the refresh statements and the
     * SECURITY DEFINER trigger functions. Other roles cannot read it, so they cannot forge an event with
     * {@code pg_logical_emit_message}.
     */
    public static final String EVENT_KEY = SCHEMA + ".event_key";
    /** Locked (EXCLUSIVE) by every refresh transaction; only the daemon's role may lock it. */
    public static final String REFRESH_LOCK = SCHEMA + ".refresh_lock";
    public static final String HEARTBEAT_QUERY = "INSERT INTO " + HEARTBEAT + " (id, beat_at) VALUES (1, now()) "
            + "ON CONFLICT (id) DO UPDATE SET beat_at = EXCLUDED.beat_at";

    private StateSchema() {
    }

    /** The key refresh-event messages must carry (see {@link #EVENT_KEY}). */
    public static String eventKey(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); java.sql.ResultSet rs = s.executeQuery("SELECT key FROM " + EVENT_KEY + " WHERE id = 1")) {
            if (!rs.next()) {
                throw new SQLException(EVENT_KEY + " is empty: start the daemon once to create it");
            }
            return rs.getString(1);
        }
    }

    public static void install(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA IF NOT EXISTS " + SCHEMA);
            s.execute("CREATE TABLE IF NOT EXISTS " + OFFSETS + " ("
                    + "store text NOT NULL, key bytea NOT NULL, value bytea, "
                    + "updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (store, key))");
            s.execute("CREATE TABLE IF NOT EXISTS " + HEARTBEAT + " (id int PRIMARY KEY, beat_at timestamptz NOT NULL)");
            s.execute("COMMENT ON TABLE " + HEARTBEAT
                    + " IS 'tviewd: written by the CDC heartbeat so the replication slot advances on an idle database'");
            s.execute("CREATE TABLE IF NOT EXISTS " + EVENT_KEY + " (id int PRIMARY KEY CHECK (id = 1), key text NOT NULL)");
            s.execute("REVOKE ALL ON " + EVENT_KEY + " FROM PUBLIC");
            s.execute("CREATE TABLE IF NOT EXISTS " + REFRESH_LOCK + " ()");
            s.execute("REVOKE ALL ON " + REFRESH_LOCK + " FROM PUBLIC");
            s.execute("COMMENT ON TABLE " + REFRESH_LOCK + " IS 'tviewd: every refresh transaction locks it (EXCLUSIVE), so refreshes "
                    + "run one at a time; only the daemon''s role may lock it'");
            byte[] key = new byte[24];
            new java.security.SecureRandom().nextBytes(key);
            try (java.sql.PreparedStatement ps = c.prepareStatement("INSERT INTO " + EVENT_KEY + " VALUES (1, ?) ON CONFLICT (id) DO NOTHING")) {
                ps.setString(1, java.util.HexFormat.of().formatHex(key));
                ps.executeUpdate();
            }
            s.execute("COMMENT ON TABLE " + EVENT_KEY + " IS 'tviewd: the key that authenticates its refresh-event messages; "
                    + "keep it unreadable to other roles'");
            ModeStore.install(c);
            CutoverJournal.install(c);
            OwedRefreshes.install(c);
            PlanFingerprints.install(c);
            s.execute("COMMENT ON TABLE " + OFFSETS
                    + " IS 'tviewd: CDC source offsets, advanced only after the refresh covering them committed'");
        }
        if (!c.getAutoCommit()) {
            c.commit();
        }
    }
}
