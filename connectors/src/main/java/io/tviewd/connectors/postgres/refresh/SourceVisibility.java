package io.tviewd.connectors.postgres.refresh;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Waits until source transactions the change stream handed over are visible to new snapshots (see
 * {@link Refresher#refresh(java.util.List, java.util.Collection)}): logical decoding can hand a transaction over a moment
 * before its backend makes it visible.
 */
final class SourceVisibility {

    private SourceVisibility() {
    }

    /** Waits (polling, 1 ms apart) until every xid is visible in a fresh snapshot; gives up with an error after {@code timeout}. */
    static void await(Connection c, PreparedStatement ps, java.util.Collection<Long> xids, java.time.Duration timeout) throws SQLException {
        long[] wanted = xids.stream().filter(x -> x >= 0).mapToLong(Long::longValue).distinct().toArray();
        if (wanted.length == 0) {
            return;
        }
        ps.setArray(1, c.createArrayOf("bigint", java.util.Arrays.stream(wanted).boxed().toArray()));
        long giveUpAt = System.nanoTime() + timeout.toNanos();
        while (true) {
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getBoolean(1)) {
                    return;
                }
            }
            if (System.nanoTime() > giveUpAt) {
                throw new SQLException("source transactions " + java.util.Arrays.toString(wanted) + " are committed in the WAL but "
                        + "still not visible after " + timeout.toMillis() + " ms", "57014");
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SQLException("interrupted while waiting for source transactions to become visible", "57014", e);
            }
        }
    }

    /**
     * True when every 32-bit xid of parameter 1 is visible in the current snapshot: each is widened to a 64-bit
     * txid with the epoch of the snapshot's xmax (the previous epoch when the xid is above xmax's low bits).
     */
    static final String VISIBLE = "SELECT coalesce(bool_and(txid_visible_in_snapshot("
            + "CASE WHEN x <= (m & 4294967295) THEN ((m >> 32) << 32) | x ELSE (((m >> 32) - 1) << 32) | x END, s)), true) "
            + "FROM (SELECT txid_current_snapshot() AS s, txid_snapshot_xmax(txid_current_snapshot()) AS m) snap, "
            + "unnest(CAST(? AS bigint[])) AS x";
}
