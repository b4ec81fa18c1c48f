package io.tviewd.daemon.bench;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import io.tviewd.connectors.postgres.PostgresSessions;

/**
 * N writer threads running one workload, each on its own connection, at full speed or paced to a total
 * rate. {@link #run} blocks for the duration and reports what committed.
 */
final class Writers {

    /** What a run committed: writes, and writes per second over the run; and the writes retried after a deadlock. */
    record Result(long commits, double seconds, long retries) {
        Result(long commits, double seconds) {
            this(commits, seconds, 0);
        }

        double tps() {
            return commits / seconds;
        }

        /** For a log line: the retries, when there were any. */
        String retriesText() {
            return retries == 0 ? "" : String.format(" (%,d writes rolled back by a deadlock and retried)", retries);
        }
    }

    /** Deadlock detected, serialization failure: an application retries these. */
    private static final java.util.Set<String> RETRIED = java.util.Set.of("40P01", "40001");

    private final PostgresSessions sessions;
    private final Dataset data;

    Writers(PostgresSessions sessions, Dataset data) {
        this.sessions = sessions;
        this.data = data;
    }

    /**
     * Runs {@code writers} threads of {@code w} for {@code duration}; {@code rate} writes/s in total, or 0 for full speed.
     *
     * @throws IllegalStateException when a writer failed (the benchmark would measure nothing meaningful)
     */
    Result run(Workload w, int writers, double rate, Duration duration) throws Exception {
        AtomicLong commits = new AtomicLong();
        AtomicLong retries = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < writers; i++) {
            Workload.Session s = new Workload.Session(sessions.openApplication("tviewd-bench-writer"), data);
            double perWriter = rate / writers;
            long offset = rate > 0 ? (long) (i * 1e9 / rate) : 0;
            Thread t = new Thread(() -> {
                try (s) {
                    long n = 0;
                    while (true) {
                        long now = System.nanoTime();
                        if (now >= end || failure.get() != null) {
                            return;
                        }
                        if (perWriter > 0) {
                            long due = start + offset + (long) (n * 1e9 / perWriter);
                            if (due > now) {
                                LockSupport.parkNanos(Math.min(due, end) - now);
                                continue;
                            }
                        }
                        try {
                            s.write(w);
                        } catch (SQLException e) {
                            if (!RETRIED.contains(e.getSQLState())) {
                                throw e;
                            }
                            // FraiseQL-style row triggers lock tv_post rows in no set order: two renames whose post
                            // sets overlap can deadlock, as they would in an application, which retries; so does this
                            // writer (its next write; the rolled-back one is not counted)
                            retries.incrementAndGet();
                            continue;
                        }
                        n++;
                        commits.incrementAndGet();
                    }
                } catch (SQLException | RuntimeException e) {
                    failure.compareAndSet(null, e);
                }
            }, "bench-writer-" + i);
            t.setDaemon(true);
            threads.add(t);
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join();
        }
        if (failure.get() != null) {
            throw new IllegalStateException("a " + w + " writer failed: " + failure.get().getMessage(), failure.get());
        }
        return new Result(commits.get(), (System.nanoTime() - start) / 1e9, retries.get());
    }
}
