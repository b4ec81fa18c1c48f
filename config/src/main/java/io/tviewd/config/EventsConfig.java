package io.tviewd.config;

/**
 * Refresh events: what they carry and how the in-process sinks (SSE, event bus) buffer them.
 *
 * @param enabled refresh statements emit events and the daemon delivers them
 * @param includeData events carry the new document or row
 * @param cascade also publish one FraiseQL cascade per refresh transaction
 * @param maxTransactionEvents events of one transaction held to coalesce them per key
 * @param maxTransactionBytes bytes of event messages of one transaction held before it spills to disk
 * @param sseRetention events kept for SSE clients resuming with Last-Event-ID
 * @param sseClientBuffer events queued per SSE client before it is disconnected as too slow
 * @param eventBusAddress Vert.x event-bus address events are published on
 */
public record EventsConfig(boolean enabled, boolean includeData, boolean cascade, int maxTransactionEvents,
                           long maxTransactionBytes, int sseRetention, int sseClientBuffer, int sseMaxClients, String eventBusAddress) {

    public EventsConfig(boolean enabled, boolean includeData, boolean cascade, int maxTransactionEvents, int sseRetention,
                        int sseClientBuffer, String eventBusAddress) {
        this(enabled, includeData, cascade, maxTransactionEvents, 64L << 20, sseRetention, sseClientBuffer, 100, eventBusAddress);
    }
}
