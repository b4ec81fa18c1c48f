package io.tviewd.connectors.events;

import java.util.List;

/**
 * Receives refresh events in commit order, whole transactions at a time (except transactions larger
 * than {@code events.max-transaction-events}, which arrive in parts). When {@link #handle} returns
 * normally the events are delivered and the stream may store its position past them; throwing stops
 * the stream (it resumes from the stored position on restart).
 */
@FunctionalInterface
public interface EventHandler {
    void handle(List<RefreshEvent> events) throws Exception;
}
