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

    /** Rows trigger-mode writers lock FOR UPDATE, one per stripe of values (see {@code TriggerStatements}). */
    public static final String KEY_LOCK = SCHEMA + ".key_lock";
    public static final String HEARTBEAT_QUERY = "INSERT INTO " + HEARTBEAT + " (id, beat_at) VALUES (1, now()) "
            + "ON CONFLICT (id) DO UPDATE SET beat_at = EXCLUDED.beat_at";

    private StateSchema() {
    }

    /**
     * The schema and everything in it must belong to the daemon's role: a {@code tviewd} schema or table created
     * beforehand by another role (with a trigger on it, say) would run that role's code with the daemon's rights, or
     * let it rewrite offsets and modes. {@code CREATE … IF NOT EXISTS} alone would accept it.
     *
     * @throws IllegalStateException naming each object and its owner
     */
    static void requireOwnedByUs(Connection c) throws SQLException {
        java.util.List<String> foreign = new java.util.ArrayList<>();
        try (java.sql.PreparedStatement ps = c.prepareStatement(
                "SELECT 'schema ' || n.nspname, pg_get_userbyid(n.nspowner) FROM pg_namespace n "
                        + "WHERE n.nspname = ? AND n.nspowner <> (SELECT oid FROM pg_roles WHERE rolname = current_user) "
                        + "UNION ALL SELECT CASE c.relkind WHEN 'r' THEN 'table ' WHEN 'v' THEN 'view ' WHEN 'S' THEN 'sequence ' "
                        + "ELSE 'relation ' END || n.nspname || '.' || c.relname, pg_get_userbyid(c.relowner) FROM pg_class c "
                        + "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relkind IN ('r', 'v', 'm', 'S', 'p', 'f') "
                        + "AND c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = current_user) "
                        + "UNION ALL SELECT 'function ' || p.oid::regprocedure::text, pg_get_userbyid(p.proowner) FROM pg_proc p "
                        + "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = ? "
                        + "AND p.proowner <> (SELECT oid FROM pg_roles WHERE rolname = current_user) ORDER BY 1")) {
            for (int i = 1; i <= 3; i++) {
                ps.setString(i, SCHEMA);
            }
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    foreign.add(rs.getString(1) + " (owned by " + rs.getString(2) + ")");
                }
            }
        }
        if (!foreign.isEmpty()) {
            throw new IllegalStateException("The " + SCHEMA + " schema must belong to the daemon's role, but " + String.join(", ", foreign)
                    + " do not: another role created them, and the daemon would run or trust what they contain. Drop them "
                    + "(DROP SCHEMA " + SCHEMA + " CASCADE, after checking what they are) or ALTER … OWNER TO the daemon's role");
        }
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
            requireOwnedByUs(c);
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
            s.execute("COMMENT ON TABLE " + REFRESH_LOCK + " IS 'tviewd: the daemon''s refreshes lock it EXCLUSIVE, trigger-mode writers "
                    + "ROW EXCLUSIVE (they then lock rows of key_lock); only the daemon''s role may lock it'");
            s.execute("CREATE TABLE IF NOT EXISTS " + KEY_LOCK + " (stripe int PRIMARY KEY)");
            s.execute("REVOKE ALL ON " + KEY_LOCK + " FROM PUBLIC");
            s.execute("INSERT INTO " + KEY_LOCK + " SELECT g FROM pg_catalog.generate_series(0, "
                    + (io.tviewd.connectors.postgres.triggers.TriggerStatements.KEY_LOCK_STRIPES - 1) + ") g WHERE NOT EXISTS (SELECT 1 FROM "
                    + KEY_LOCK + " WHERE stripe = " + (io.tviewd.connectors.postgres.triggers.TriggerStatements.KEY_LOCK_STRIPES - 1) + ")");
            s.execute("COMMENT ON TABLE " + KEY_LOCK + " IS 'tviewd: trigger-mode writers lock the rows their change reaches "
                    + "(FOR UPDATE, hashed values), so writers of different documents do not wait for each other'");
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
