package io.tviewd.daemon.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import io.tviewd.connectors.postgres.PostgresSessions;

/**
 * The independent freshness probe: retitles the probe post on its own connection and polls a reader until the new
 * title is visible — tv_post on a second connection, or ClickHouse's copy of it. One sample = commit returned → row
 * visible, in milliseconds.
 */
final class Probe implements AutoCloseable {

    /** Where the probe looks for the title: true once it is visible. */
    private interface Reader {
        boolean sees(String title) throws Exception;
    }

    private final Connection writer;
    private final Connection reader;
    private final PreparedStatement write;
    private final Reader seen;
    /** Pause between two looks. */
    private final long pauseNanos;
    private long n;

    Probe(PostgresSessions sessions, Dataset data) throws SQLException {
        writer = sessions.openApplication("tviewd-bench-probe");
        writer.setAutoCommit(true);
        reader = sessions.openApplication("tviewd-bench-probe-reader");
        reader.setAutoCommit(true);
        write = writer.prepareStatement("UPDATE tb_post SET title = ? WHERE pk_post = " + data.probePost());
        PreparedStatement read = reader.prepareStatement("SELECT data->>'title' FROM tv_post WHERE pk_post = " + data.probePost());
        seen = title -> {
            try (ResultSet rs = read.executeQuery()) {
                return rs.next() && title.equals(rs.getString(1));
            }
        };
        pauseNanos = 200_000;
    }

    /** A probe that looks in ClickHouse table {@code database.tv_post} (live rows) for the probe post's document. */
    Probe(PostgresSessions sessions, Dataset data, LocalClickHouse clickhouse, String database) throws SQLException {
        writer = sessions.openApplication("tviewd-bench-probe");
        writer.setAutoCommit(true);
        reader = null;
        write = writer.prepareStatement("UPDATE tb_post SET title = ? WHERE pk_post = " + data.probePost());
        String id;
        try (PreparedStatement ps = writer.prepareStatement("SELECT id::text FROM tb_post WHERE pk_post = " + data.probePost());
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            id = rs.getString(1);
        }
        // a look costs ClickHouse little only while it leaves the documents alone: reading them means a whole 8,192-row
        // granule per part (18 ms of a core on 18.16 with five parts, 80 ms with FINAL, which kept ClickHouse at two
        // thirds of a core through the live run). So the probe watches the key's newest version (3 ms), and reads the
        // newest document only when a newer version arrived: only the probe writes this post's title, so the newest
        // version is what a FINAL read returns; one made by another write (a rename of its author) holds the old
        // title, and the watch goes on from it
        String key = database + ".tv_post PREWHERE id = '" + id + "'";
        long[] known = {-1};
        seen = title -> {
            String newest = clickhouse.query("SELECT max(_version) FROM " + key).strip();
            long version = newest.isEmpty() ? -1 : Long.parseLong(newest);
            if (version <= known[0]) {
                return false;
            }
            known[0] = version;
            return clickhouse.query("SELECT argMax(data, _version) FROM " + key).contains("\"title\":\"" + title + "\"");
        };
        // a look is an HTTP request and a read, on the two cores everything measured shares: every 2 ms was up to
        // 500 reads a second, and ClickHouse took a third of the CPU of that run; every 20 ms is fine enough for 1 s
        pauseNanos = 20_000_000;
    }

    /** One sample; a row not visible within {@code timeout} counts as the timeout (the report says so). */
    double once(Duration timeout) throws SQLException {
        String title = "probe-" + System.nanoTime() + "-" + (++n);
        write.setString(1, title);
        write.executeUpdate();
        long t0 = System.nanoTime();
        long giveUp = t0 + timeout.toNanos();
        while (true) {
            try {
                if (seen.sees(title)) {
                    return (System.nanoTime() - t0) / 1e6;
                }
            } catch (SQLException e) {
                throw e;
            } catch (Exception e) {
                throw new SQLException("the probe could not read: " + e.getMessage(), e);
            }
            if (System.nanoTime() > giveUp) {
                return timeout.toMillis();
            }
            java.util.concurrent.locks.LockSupport.parkNanos(pauseNanos);
        }
    }

    /** Samples in the background every {@code interval} (after the previous one became visible) until stopped. */
    final class Sampler implements AutoCloseable {
        private final List<Double> samples = Collections.synchronizedList(new ArrayList<>());
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;
        private volatile Exception failure;

        Sampler(Duration interval) {
            thread = new Thread(() -> {
                while (running.get()) {
                    try {
                        samples.add(once(Duration.ofSeconds(120)));
                        Thread.sleep(interval.toMillis());
                    } catch (InterruptedException e) {
                        return;
                    } catch (Exception e) {
                        failure = e;
                        return;
                    }
                }
            }, "bench-probe");
            thread.setDaemon(true);
            thread.start();
        }

        /** Stops after the sample in flight and returns every sample. */
        List<Double> stop() throws Exception {
            running.set(false);
            thread.join();
            if (failure != null) {
                throw failure;
            }
            return new ArrayList<>(samples);
        }

        @Override
        public void close() throws Exception {
            stop();
        }
    }

    Sampler sample(Duration interval) {
        return new Sampler(interval);
    }

    @Override
    public void close() throws SQLException {
        writer.close();
        if (reader != null) {
            reader.close();
        }
    }
}
