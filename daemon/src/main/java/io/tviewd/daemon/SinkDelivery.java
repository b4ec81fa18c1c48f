package io.tviewd.daemon;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.tviewd.connectors.events.Cascade;
import io.tviewd.connectors.events.EventHandler;
import io.tviewd.connectors.events.EventSink;
import io.tviewd.connectors.events.RefreshEvent;

/**
 * Delivers an event stream to one durable sink, retrying the same events until the sink acknowledges
 * them. While it retries the event stream waits (its position does not move, the WAL keeps the events,
 * memory stays at one batch) and the sink reports degraded; tview refresh is not affected, it runs on
 * its own stream.
 */
final class SinkDelivery implements EventHandler, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SinkDelivery.class);

    private final EventSink sink;
    private final boolean cascades;
    private final Duration backoff;
    private final DaemonMetrics metrics;
    private final CountDownLatch closing = new CountDownLatch(1);
    private volatile String problem;
    private volatile Instant degradedSince;
    /** Commit time of the oldest event being delivered, or null when idle. */
    private volatile Instant pendingSince;
    private volatile long delivered;

    SinkDelivery(EventSink sink, boolean cascades, Duration backoff, DaemonMetrics metrics) {
        this.sink = sink;
        this.cascades = cascades;
        this.backoff = backoff;
        this.metrics = metrics;
        metrics.sink(this);
    }

    String name() {
        return sink.name();
    }

    @Override
    public void handle(List<RefreshEvent> events) throws InterruptedException {
        List<Cascade> cascade = cascades ? Cascade.of(events) : List.of();
        pendingSince = events.get(0).committedAt();
        while (true) {
            if (closing.getCount() == 0) {
                throw new InterruptedException("stopping: " + events.size() + " events stay in the WAL for the next start");
            }
            try {
                sink.deliver(events, cascade);
                break;
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                metrics.sinkError(name());
                if (problem == null) {
                    degradedSince = Instant.now();
                    LOG.warn("Event sink {} degraded: {}; events wait in the WAL and delivery is retried every {} ms",
                            name(), e.getMessage(), backoff.toMillis());
                }
                problem = e.getMessage();
                if (closing.await(backoff.toMillis(), TimeUnit.MILLISECONDS)) {
                    continue;
                }
                metrics.sinkRetry(name());
            }
        }
        if (problem != null) {
            LOG.info("Event sink {} recovered after {} s", name(), Duration.between(degradedSince, Instant.now()).toSeconds());
            problem = null;
            degradedSince = null;
        }
        pendingSince = null;
        delivered += events.size();
        metrics.eventsDelivered(name(), events.size());
    }

    /** Null while the sink acknowledges; otherwise the last delivery error. */
    String problem() {
        return problem;
    }

    Instant degradedSince() {
        return degradedSince;
    }

    long delivered() {
        return delivered;
    }

    /** Seconds since the commit of the oldest event not yet acknowledged (0 when none is waiting). */
    double lagSeconds() {
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
