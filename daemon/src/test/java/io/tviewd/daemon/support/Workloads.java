package io.tviewd.daemon.support;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import io.tviewd.config.DatabaseConfig;
import io.tviewd.daemon.demo.SqlWorkload;

/** Runs the blog workload on several concurrent writers for a fixed number of operations each. */
public final class Workloads {

    private Workloads() {
    }

    /** Test parameter: {@code -Dtviewd.seed=N}; printed by every failure that depends on it. */
    public static long seed() {
        return Long.getLong("tviewd.seed", 20261122L);
    }

    /** Test parameter: operations per writer, {@code -Dtviewd.ops=N}. */
    public static int opsPerWriter(int defaultOps) {
        return Integer.getInteger("tviewd.ops", defaultOps);
    }

    /**
     * Runs {@code writers} writers with seeds derived from {@code seed}, {@code ops} operations each,
     * and waits for all of them. Constraint errors from concurrent picks are counted, not thrown.
     *
     * @return committed operations
     */
    public static long run(DatabaseConfig db, long seed, int writers, int ops) throws Exception {
        return run(db, seed, writers, ops, SqlWorkload.BLOG);
    }

    /** Like {@link #run(DatabaseConfig, long, int, int)} with another operation list. */
    public static long run(DatabaseConfig db, long seed, int writers, int ops, List<SqlWorkload.Op> operations) throws Exception {
        AtomicLong committed = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            long writerSeed = seed * 31 + w;
            Thread t = new Thread(() -> {
                try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password().reveal())) {
                    SqlWorkload workload = new SqlWorkload(c, writerSeed, operations);
                    for (int i = 0; i < ops; i++) {
                        try {
                            workload.step();
                        } catch (SQLException e) {
                            if (!SqlWorkload.isExpectedConflict(e)) {
                                throw e;
                            }
                        }
                    }
                    committed.addAndGet(workload.writes());
                } catch (Throwable e) {
                    synchronized (failures) {
                        failures.add(e);
                    }
                }
            }, "writer-" + w);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        if (!failures.isEmpty()) {
            throw new AssertionError("workload failed (seed " + seed + "): " + failures.get(0), failures.get(0));
        }
        return committed.get();
    }
}
