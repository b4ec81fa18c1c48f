package io.tviewd.daemon.bench;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

import io.tviewd.config.DatabaseConfig;
import io.tviewd.connectors.postgres.PostgresSessions;

/**
 * The daemon of a benchmark phase, restarted on a fresh slot when a run left it a backlog it cannot work off in
 * time (full-speed writers outrun any refresh): the next run then starts from a converged tview.
 */
final class RunningDaemon implements AutoCloseable {

    private final Path jar;
    private final Path logDir;
    private final DatabaseConfig db;
    private final PostgresSessions sessions;
    private final Map<String, String> settings;
    private DaemonUnderTest daemon;
    private HeapWatch heap;
    private double heapMax;

    RunningDaemon(Path jar, Path logDir, DatabaseConfig db, PostgresSessions sessions, Map<String, String> settings) throws Exception {
        this.jar = jar;
        this.logDir = logDir;
        this.db = db;
        this.sessions = sessions;
        this.settings = settings;
        start();
    }

    private void start() throws Exception {
        daemon = DaemonUnderTest.start(jar, db, settings, logDir);
        heap = new HeapWatch(daemon);
    }

    DaemonUnderTest get() {
        return daemon;
    }

    double heapMax() {
        return Math.max(heapMax, heap.maxMb());
    }

    /** Stops the daemon, drops its slots and stored positions, and starts it again (it reconciles every tview). */
    void reset() throws Exception {
        heapMax = heapMax();
        close();
        dropSlots(sessions);
        start();
    }

    @Override
    public void close() throws Exception {
        heap.close();
        daemon.close();
    }

    /**
     * Drops the daemon's slots and stored positions (the daemon is stopped): its next start is a first start, which
     * reconciles every tview, instead of catching up on everything written since.
     */
    static void dropSlots(PostgresSessions sessions) throws SQLException {
        try (Connection c = sessions.openApplication("tviewd-bench"); Statement s = c.createStatement()) {
            s.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE 'tviewd%'");
            s.execute("DELETE FROM tviewd.offsets");
        }
    }
}
