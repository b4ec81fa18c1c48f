package io.tviewd.connectors.events;

import java.util.List;

/**
 * A durable destination of refresh events. {@link #deliver} blocks until the destination acknowledged
 * every event (then the event stream may store its position past them) or throws; the caller retries
 * the same events, so a sink sees each event at least once.
 */
public interface EventSink extends AutoCloseable {

    /** Short name used in metrics, logs and health ({@code kafka}). */
    String name();

    /**
     * Delivers events (and, when given, the cascades of their transactions) in order.
     *
     * @throws Exception when any of them was not acknowledged; nothing about which ones were is promised
     */
    void deliver(List<RefreshEvent> events, List<Cascade> cascades) throws Exception;

    @Override
    void close();
}
