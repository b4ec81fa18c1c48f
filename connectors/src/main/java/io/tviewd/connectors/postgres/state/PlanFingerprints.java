package io.tviewd.connectors.postgres.state;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@link io.tviewd.connectors.postgres.plan.PlanFingerprint} each tview's rows were last reconciled under, in
 * {@code tviewd.tview_plan}: a start that finds another fingerprint cannot prove the rows current and owes the tview
 * a full refresh. A fingerprint is stored only after the debt it may cause is stored.
 */
public final class PlanFingerprints {

    public static final String TABLE = StateSchema.SCHEMA + ".tview_plan";

    private PlanFingerprints() {
    }

    static void install(Connection c) throws SQLException {
        try (var s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " (tview text PRIMARY KEY, fingerprint text NOT NULL, "
                    + "updated_at timestamptz NOT NULL DEFAULT now())");
            s.execute("COMMENT ON TABLE " + TABLE + " IS 'tviewd: fingerprint of the plan and definitions each tview was "
                    + "last maintained under; a different one at start owes the tview a full refresh'");
        }
    }

    /** Stored fingerprints, by tview table name. */
    public static Map<String, String> read(Connection c) throws SQLException {
        Map<String, String> out = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT tview, fingerprint FROM " + TABLE);
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.put(rs.getString(1), rs.getString(2));
            }
        }
        return out;
    }

    /** Stores (or replaces) fingerprints, by tview table name; commits when not in autocommit. */
    public static void store(Connection c, Map<String, String> fingerprints) throws SQLException {
        if (fingerprints.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + TABLE + " (tview, fingerprint) VALUES (?, ?) "
                + "ON CONFLICT (tview) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, updated_at = now()")) {
            for (Map.Entry<String, String> e : fingerprints.entrySet()) {
                ps.setString(1, e.getKey());
                ps.setString(2, e.getValue());
                ps.addBatch();
            }
            ps.executeBatch();
        }
        if (!c.getAutoCommit()) {
            c.commit();
        }
    }
}
