package io.tviewd.daemon.pipeline;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;

import io.tviewd.connectors.postgres.catalog.Tview;
import io.tviewd.connectors.postgres.refresh.TviewVerifier;
import io.tviewd.connectors.postgres.state.StateSchema;

/**
 * The running daemon's CDC progress as a cutover sees it: waiting until CDC has passed a WAL position, and
 * telling drift from lag among keys seen differing while writers go on.
 */
public final class CdcProgress {

    /** Quiet intervals in a row (view row unchanged, CDC past the previous check) a key may differ through before it is drift. */
    static final int QUIET_CHECKS = 2;

    /** Intervals in a row in which both a key's view row and its tview row changed before the key counts as being refreshed. */
    static final int MOVING_CHECKS = 3;

    private static final long DRAIN_POLL_MS = 10;

    private final Connection c;
    private final String slot;
    private final Duration wait;
    private final Consumer<String> log;

    public CdcProgress(Connection c, String slot, Duration wait, Consumer<String> log) {
        this.c = c;
        this.slot = slot;
        this.wait = wait;
        this.log = log;
    }

    /**
     * Waits until the daemon's stored CDC position passes {@code target}: CDC has then handled every change
     * committed before it. A heartbeat written first gives an idle database a change to pass it with.
     */
    public void drainTo(String target) throws Exception {
        try (Statement s = c.createStatement()) {
            s.execute(StateSchema.HEARTBEAT_QUERY);
        }
        long deadline = System.nanoTime() + wait.toNanos();
        try (PreparedStatement ps = c.prepareStatement("SELECT coalesce(max((convert_from(value, 'UTF8')::jsonb ->> 'lsn')::bigint), 0) "
                + ">= pg_wal_lsn_diff(?::pg_lsn, '0/0') FROM " + StateSchema.OFFSETS + " WHERE store = ?")) {
            ps.setString(1, target);
            ps.setString(2, slot);
            while (true) {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getBoolean(1)) {
                        return;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the daemon's CDC position did not pass " + target + " within " + wait.toMillis() / 1000.0
                            + " s: is `tviewd run` streaming from slot " + slot + "?");
                }
                Thread.sleep(DRAIN_POLL_MS);
            }
        }
    }

    /**
     * Tells drift from lag among keys seen differing in CDC mode. Each key is checked again, each time after CDC
     * has handled every change committed before the previous check. A key whose tview row then matches is
     * settled; a key whose view row did not change between two checks must match by then, so one that still
     * differs through {@value #QUIET_CHECKS} such quiet intervals in a row is drift. A key rewritten faster than
     * the checks (its view row changes between every two) is settled when CDC keeps rewriting its tview row too,
     * {@value #MOVING_CHECKS} intervals in a row: it is being refreshed, only never caught at rest. Other keys are
     * checked again until the cutover's wait runs out.
     *
     * @return the keys found drifting
     */
    public Set<String> settle(Tview t, Set<String> suspects) throws Exception {
        Map<String, TviewVerifier.RowHashes> previous = new TreeMap<>(TviewVerifier.hashes(c, t, suspects));
        String position = currentLsn(c);
        previous.values().removeIf(TviewVerifier.RowHashes::matches);
        Map<String, Integer> quiet = new HashMap<>();
        Map<String, Integer> moving = new HashMap<>();
        Set<String> drift = new TreeSet<>();
        int busy = 0;
        long deadline = System.nanoTime() + wait.toNanos();
        while (!previous.isEmpty()) {
            drainTo(position);
            Map<String, TviewVerifier.RowHashes> now = TviewVerifier.hashes(c, t, previous.keySet());
            position = currentLsn(c);
            Map<String, TviewVerifier.RowHashes> next = new TreeMap<>();
            for (Map.Entry<String, TviewVerifier.RowHashes> e : previous.entrySet()) {
                String key = e.getKey();
                TviewVerifier.RowHashes was = e.getValue();
                TviewVerifier.RowHashes h = now.getOrDefault(key, new TviewVerifier.RowHashes(null, null));
                if (h.matches()) {
                    continue;
                }
                boolean viewQuiet = Objects.equals(h.view(), was.view());
                int q = viewQuiet ? quiet.getOrDefault(key, 0) + 1 : 0;
                int m = !viewQuiet && !Objects.equals(h.tview(), was.tview()) ? moving.getOrDefault(key, 0) + 1 : 0;
                quiet.put(key, q);
                moving.put(key, m);
                if (q >= QUIET_CHECKS) {
                    drift.add(key);
                } else if (m >= MOVING_CHECKS) {
                    busy++;
                } else {
                    next.put(key, h);
                }
            }
            previous = next;
            if (!previous.isEmpty() && System.nanoTime() > deadline) {
                throw new IllegalStateException("verify could not settle " + previous.size() + " keys within " + wait.toSeconds()
                        + " s: their view rows kept changing between checks, e.g. " + previous.keySet().stream().limit(10).toList()
                        + (drift.isEmpty() ? "" : "; drift found in " + drift));
            }
        }
        if (busy > 0) {
            log.accept("     verify: " + busy + " keys rewritten faster than the checks were settled as refreshed (CDC kept rewriting them)");
        }
        return drift;
    }

    public static String currentLsn(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_current_wal_lsn()::text")) {
            rs.next();
            return rs.getString(1);
        }
    }
}
