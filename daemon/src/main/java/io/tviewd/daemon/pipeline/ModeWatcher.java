package io.tviewd.daemon.pipeline;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.tviewd.config.RefreshMode;
import io.tviewd.connectors.postgres.PostgresSessions;
import io.tviewd.connectors.postgres.state.ModeStore;
import io.tviewd.daemon.metrics.DaemonMetrics;

/**
 * Applies mode changes made in {@code tviewd.tview_mode} (by a cutover) to the running daemon: CDC
 * handling on or off between two batches, the schedule started or stopped. Each applied mode is
 * acknowledged with the CDC position it took effect at, which a cutover waits for. Polls every
 * {@value #POLL_MS} ms on its own thread and connection.
 */
public final class ModeWatcher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ModeWatcher.class);
    static final long POLL_MS = 200;

    private final PostgresSessions sessions;
    private final RefreshPipeline pipeline;
    private final ScheduledRefresher scheduled;
    private final DaemonMetrics metrics;
    private final java.util.Set<String> acked = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tviewd-modes");
        t.setDaemon(true);
        return t;
    });
    private Connection connection;

    public ModeWatcher(PostgresSessions sessions, RefreshPipeline pipeline, ScheduledRefresher scheduled, DaemonMetrics metrics) {
        this.metrics = metrics;
        this.sessions = sessions;
        this.pipeline = pipeline;
        this.scheduled = scheduled;
    }

    public void start() {
        executor.scheduleWithFixedDelay(this::poll, 0, POLL_MS, TimeUnit.MILLISECONDS);
    }

    private void poll() {
        try {
            if (connection == null || connection.isClosed()) {
                connection = sessions.open("tviewd-modes");
            }
            Map<String, ModeStore.Mode> stored = ModeStore.read(connection);
            for (TviewStatus s : pipeline.status().values()) {
                ModeStore.Mode m = stored.get(s.plan().tview().table().toString());
                if (m == null) {
                    continue;
                }
                String wanted = m.mode().configName();
                if (!wanted.equals(s.mode())) {
                    String old = s.mode();
                    if (RefreshMode.SCHEDULED.configName().equals(old)) {
                        scheduled.cancel(s);
                    }
                    long lsn = pipeline.setMode(s.name(), wanted);
                    if (m.mode() == RefreshMode.SCHEDULED) {
                        scheduled.schedule(s, m.schedule());
                    }
                    metrics.mode(s.name(), wanted);
                    LOG.info("Tview {}: mode {} → {} (from CDC position {})", s.name(), old, wanted, lsn);
                    ModeStore.acknowledge(connection, s.plan().tview().table().toString(), m.mode(), lsn);
                } else if (!acknowledged(s, m.mode())) {
                    ModeStore.acknowledge(connection, s.plan().tview().table().toString(), m.mode(), pipeline.lastLsn());
                }
            }
        } catch (SQLException | RuntimeException e) {
            LOG.warn("Reading refresh modes failed, retrying in {} ms: {}", POLL_MS, e.getMessage());
            closeConnection();
        }
    }

    private boolean acknowledged(TviewStatus s, RefreshMode mode) {
        return !acked.add(s.name() + "=" + mode.configName());
    }

    private void closeConnection() {
        PostgresSessions.closeQuietly(connection);
        connection = null;
    }

    @Override
    public void close() {
        executor.shutdownNow();
        try {
            executor.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeConnection();
    }
}
