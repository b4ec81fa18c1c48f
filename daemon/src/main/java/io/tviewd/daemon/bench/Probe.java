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
 * The independent freshness probe: retitles the probe post on its own connection and polls tv_post on a second one
 * until the new title is visible. One sample = commit returned → row visible, in milliseconds.
 */
final class Probe implements AutoCloseable {

    private final Connection writer;
    private final Connection reader;
    private final PreparedStatement write;
    private final PreparedStatement read;
    private long n;

    Probe(PostgresSessions sessions, Dataset data) throws SQLException {
        writer = sessions.openApplication("tviewd-bench-probe");
        writer.setAutoCommit(true);
        reader = sessions.openApplication("tviewd-bench-probe-reader");
        reader.setAutoCommit(true);
        write = writer.prepareStatement("UPDATE tb_post SET title = ? WHERE pk_post = " + data.probePost());
        read = reader.prepareStatement("SELECT data->>'title' FROM tv_post WHERE pk_post = " + data.probePost());
    }

    /** One sample; a row not visible within {@code timeout} counts as the timeout (the report says so). */
    double once(Duration timeout) throws SQLException {
        String title = "probe-" + System.nanoTime() + "-" + (++n);
        write.setString(1, title);
        write.executeUpdate();
        long t0 = System.nanoTime();
        long giveUp = t0 + timeout.toNanos();
        while (true) {
            try (ResultSet rs = read.executeQuery()) {
                if (rs.next() && title.equals(rs.getString(1))) {
                    return (System.nanoTime() - t0) / 1e6;
                }
            }
            if (System.nanoTime() > giveUp) {
                return timeout.toMillis();
            }
            java.util.concurrent.locks.LockSupport.parkNanos(200_000);
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
        reader.close();
    }
}
