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
    public static final String HEARTBEAT_QUERY = "INSERT INTO " + HEARTBEAT + " (id, beat_at) VALUES (1, now()) "
            + "ON CONFLICT (id) DO UPDATE SET beat_at = EXCLUDED.beat_at";

    private StateSchema() {
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
