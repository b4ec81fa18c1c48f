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
     * @return the records the destination refuses for good (too large, a topic name it does not allow): retrying
     *         cannot deliver them, so the caller reports and skips them; every other record was acknowledged
     * @throws Exception when any of them was not acknowledged for a reason a retry may cure; nothing about which
     *         ones were is promised
     */
    List<Refused> deliver(List<RefreshEvent> events, List<Cascade> cascades) throws Exception;

    /**
     * The sink cannot go on however often it retries (a table whose columns do not match, a type the destination
     * rejects): the delivery stops that sink loudly, keeps its events in the WAL, and lets every other sink and
     * refresh continue. The message says what to fix.
     */
    final class PermanentFailure extends Exception {
        public PermanentFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** A record refused for good: which tview and key (or {@code cascade} and txid), the version, and why. */
    record Refused(String tview, String key, long version, String reason) {
    }

    @Override
    void close();
}
