package io.tviewd.daemon.pipeline;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.tviewd.config.RefreshConfig;
import io.tviewd.config.Schedule;
import io.tviewd.connectors.postgres.PostgresSessions;
import io.tviewd.connectors.postgres.refresh.RefreshResult;
import io.tviewd.connectors.postgres.refresh.Refresher;
import io.tviewd.connectors.postgres.refresh.TviewPopulator;
import io.tviewd.daemon.metrics.DaemonMetrics;

/**
 * The driver of {@code scheduled} mode: on its schedule (an interval or cron), a chunked diff refresh of the tview (keys in
 * key order, one short transaction per chunk, only differing rows written, then rows the view no
 * longer returns removed). One thread: runs never overlap, and the next run is planned when the
 * previous one ends. Results go to the tview's status and metrics with mode {@code scheduled}.
 */
public final class ScheduledRefresher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ScheduledRefresher.class);
    static final String MODE = "scheduled";

    private final PostgresSessions sessions;
    private final RefreshConfig config;
    private final RefreshPipeline pipeline;
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tviewd-scheduled");
        t.setDaemon(true);
        return t;
    });

    private final java.util.Map<String, java.util.concurrent.ScheduledFuture<?>> tasks = new java.util.concurrent.ConcurrentHashMap<>();

    public ScheduledRefresher(PostgresSessions sessions, RefreshConfig config, RefreshPipeline pipeline, DaemonMetrics metrics) {
        for (TviewStatus s : pipeline.status().values()) {
            metrics.schedule(s.name(), () -> s.nextRunAt == null ? Double.NaN : s.nextRunAt.toEpochMilli() / 1000.0,
                    () -> s.lastRunMillis < 0 ? Double.NaN : s.lastRunMillis,
                    () -> s.lastRunRowsChanged < 0 ? Double.NaN : s.lastRunRowsChanged,
                    () -> s.lastRunOutcome == null ? Double.NaN : s.lastRunOutcome.equals("ok") ? 0 : 1);
        }
        this.sessions = sessions;
        this.config = config;
        this.pipeline = pipeline;
    }

    /**
     * Starts the schedule of one tview: an interval schedule runs at once and then an interval after each
     * run ends; a cron schedule runs at its next matching minute.
     */
    public void schedule(TviewStatus status, Schedule schedule) {
        cancel(status);
        status.schedule = schedule;
        Instant first = schedule.interval() != null ? Instant.now() : schedule.next(Instant.now());
        plan(status, schedule, first);
    }

    private void plan(TviewStatus status, Schedule schedule, Instant at) {
        status.nextRunAt = at;
        long delay = Math.max(0, Duration.between(Instant.now(), at).toMillis());
        tasks.put(status.name(), executor.schedule(() -> {
            run(status);
            if (tasks.containsKey(status.name())) {
                plan(status, schedule, schedule.next(Instant.now()));
            }
        }, delay, TimeUnit.MILLISECONDS));
    }

    /** Stops the schedule of one tview (a run in progress finishes). */
    void cancel(TviewStatus status) {
        java.util.concurrent.ScheduledFuture<?> f = tasks.remove(status.name());
        if (f != null) {
            f.cancel(false);
        }
        status.nextRunAt = null;
    }

    private void run(TviewStatus status) {
        long t0 = System.nanoTime();
        try (Connection c = sessions.open("tviewd-scheduled", config.statementTimeout());
             Refresher refresher = new Refresher(sessions, config, new io.tviewd.connectors.postgres.refresh.Readers(pipeline.plans()))) {
            TviewPopulator.Result r = TviewPopulator.populate(c, refresher, status.plan().tview(), TviewPopulator.CHUNK_SIZE,
                    io.tviewd.connectors.postgres.refresh.RefreshCause.of(MODE), (done, total) -> { });
            long nanos = System.nanoTime() - t0;
            pipeline.recordExternal(List.of(new RefreshResult(status.plan().tview(), true, r.rows(), r.written(), r.deleted(),
                    r.rows() - r.written(), nanos, null)), MODE);
            if (r.written() + r.deleted() > 0) {
                TviewMaintenance.refreshDependents(sessions, config, pipeline.plans(), status.plan().tview(), MODE);
            }
            status.lastRunRowsChanged = r.written() + r.deleted();
            status.lastRunOutcome = "ok";
        } catch (Exception e) {
            long nanos = System.nanoTime() - t0;
            String error = "scheduled refresh of " + status.plan().tview().table() + " failed: " + e.getMessage();
            LOG.error("{}; next try as scheduled ({})", error, status.schedule);
            try {
                pipeline.recordExternal(List.of(new RefreshResult(status.plan().tview(), true, 0, 0, 0, 0, nanos, error)), MODE);
            } catch (SQLException x) {
                LOG.error("Tview {}: could not record the failed scheduled run: {}", status.name(), x.getMessage());
            }
            status.lastRunOutcome = "failed: " + e.getMessage();
        } finally {
            status.lastRunMillis = (System.nanoTime() - t0) / 1_000_000;
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
        try {
            executor.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
