package io.tviewd.daemon.events;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.tviewd.connectors.events.Cascade;
import io.tviewd.connectors.events.EventHandler;
import io.tviewd.connectors.events.EventSink;
import io.tviewd.connectors.events.RefreshEvent;
import io.tviewd.daemon.metrics.DaemonMetrics;
import io.tviewd.daemon.retry.Retry;

/**
 * Delivers an event stream to one durable sink, retrying the same events (with {@link Retry}, without a
 * deadline) until the sink acknowledges them. While it retries the event stream waits (its position does not move, the WAL keeps the events,
 * memory stays at one batch) and the sink reports degraded; tview refresh is not affected, it runs on
 * its own stream.
 */
public final class SinkDelivery implements EventHandler, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SinkDelivery.class);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private final EventSink sink;
    private final boolean cascades;
    private final Retry retry;
    private final DaemonMetrics metrics;
    private final CountDownLatch closing = new CountDownLatch(1);
    private volatile String problem;
    private volatile Instant degradedSince;
    /** Commit time of the oldest event being delivered, or null when idle. */
    private volatile Instant pendingSince;
    private volatile long delivered;
    /** The last event the sink refused for good (skipped), or null. */
    private volatile String lastRefused;
    /** Why the sink stopped for good (a permanent failure), or null. */
    private volatile String stopped;

    public SinkDelivery(EventSink sink, boolean cascades, Duration backoff, DaemonMetrics metrics) {
        this.sink = sink;
        this.cascades = cascades;
        // retried until the sink takes the events (no deadline): backoff doubles from `backoff` up to 30 s;
        // closing interrupts the wait and leaves the events in the WAL
        this.retry = new Retry(backoff, backoff.compareTo(MAX_BACKOFF) > 0 ? backoff : MAX_BACKOFF, Duration.ofDays(36_500),
                System::currentTimeMillis, ms -> {
                    if (closing.await(ms, TimeUnit.MILLISECONDS)) {
                        throw new InterruptedException("stopping: the events stay in the WAL for the next start");
                    }
                });
        this.metrics = metrics;
        metrics.sink(name(), this::lagSeconds, () -> problem() == null ? 1 : 0);
    }

    public String name() {
        return sink.name();
    }

    @Override
    public void handle(List<RefreshEvent> events) throws Exception {
        try {
            deliver(events);
        } catch (EventSink.PermanentFailure e) {
            holdStopped("delivering", e);
        }
    }

    /**
     * Runs {@code work} for the sink (its initial backfill) the way deliveries run: retried while it fails, the sink
     * reported degraded meanwhile, and stopped for good on a {@link EventSink.PermanentFailure}.
     */
    public void prepare(String what, java.util.concurrent.Callable<Void> work) throws Exception {
        try {
            attempt(what, work);
        } catch (EventSink.PermanentFailure e) {
            holdStopped(what, e);
        }
    }

    /**
     * Retrying cannot help: holds this sink's stream (its events stay in the WAL, the slot retains them) until the
     * daemon stops; the operator fixes the cause and restarts. Refresh and the other sinks go on.
     */
    private void holdStopped(String what, EventSink.PermanentFailure e) throws InterruptedException {
        stopped = e.getMessage();
        problem = "stopped: " + e.getMessage();
        if (degradedSince == null) {
            degradedSince = Instant.now();
        }
        metrics.sinkError(name());
        LOG.error("Event sink {} STOPPED ({}): {}. Its events wait in the WAL (its slot retains it); fix the cause and restart tviewd",
                name(), what, e.getMessage());
        closing.await();
        throw new InterruptedException("stopping: the events stay in the WAL for the next start");
    }

    /** Why the sink stopped for good, or null while it delivers or retries. */
    public String stopped() {
        return stopped;
    }

    /**
     * Calls {@code work} until it succeeds (no deadline): each failure is counted and makes the sink degraded (with
     * the reason) until an attempt succeeds. A {@link EventSink.PermanentFailure} or an interrupt ends the attempts.
     */
    private <T> T attempt(String what, java.util.concurrent.Callable<T> work) throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        T result = retry.call(what + " (" + name() + ")", () -> {
            if (attempts.getAndIncrement() > 0) {
                metrics.sinkRetry(name());
            }
            try {
                return work.call();
            } catch (EventSink.PermanentFailure e) {
                throw e;
            } catch (Exception e) {
                metrics.sinkError(name());
                if (problem == null) {
                    degradedSince = Instant.now();
                    LOG.warn("Event sink {} degraded ({}): {}; tviews keep refreshing, events wait in the WAL until it is back",
                            name(), what, e.getMessage());
                }
                problem = e.getMessage();
                throw e;
            }
        }, e -> !(e instanceof InterruptedException) && !(e instanceof EventSink.PermanentFailure));
        if (problem != null) {
            LOG.info("Event sink {} recovered after {} s", name(), Duration.between(degradedSince, Instant.now()).toSeconds());
            problem = null;
            degradedSince = null;
        }
        return result;
    }

    private void deliver(List<RefreshEvent> events) throws Exception {
        List<Cascade> cascade = cascades ? Cascade.of(events) : List.of();
        pendingSince = events.get(0).committedAt();
        List<EventSink.Refused> refused = attempt("delivering " + events.size() + " events", () -> sink.deliver(events, cascade));
        for (EventSink.Refused r : refused) {
            // retrying cannot deliver it, and holding the stream for it would hold every later event and the WAL
            LOG.error("Event sink {} refused the event of {} key {} (version {}) for good, skipped: {}", name(), r.tview(), r.key(),
                    r.version(), r.reason());
            metrics.eventRefused(name());
            lastRefused = r.tview() + " key " + r.key() + ": " + r.reason();
        }
        pendingSince = null;
        delivered += events.size() - refused.size();
        metrics.eventsDelivered(name(), events.size() - refused.size());
    }

    /** Null while the sink acknowledges; otherwise the last delivery error. */
    public String problem() {
        return problem;
    }

    /** The last event the sink refused for good and that was skipped, or null. */
    public String lastRefused() {
        return lastRefused;
    }

    public Instant degradedSince() {
        return degradedSince;
    }

    public long delivered() {
        return delivered;
    }

    /** Seconds since the commit of the oldest event not yet acknowledged (0 when none is waiting). */
    public double lagSeconds() {
        Instant p = pendingSince;
        return p == null ? 0 : Math.max(0, Duration.between(p, Instant.now()).toMillis() / 1000.0);
    }

    /** Makes a delivery that is retrying give up (its events stay in the WAL); call before closing the stream. */
    void stopRetrying() {
        closing.countDown();
    }

    @Override
    public void close() {
        stopRetrying();
        sink.close();
    }
}
