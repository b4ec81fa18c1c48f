/**
 * Refresh events as sinks see them ({@link io.tviewd.connectors.events.RefreshEvent}, cascades) and the
 * {@link io.tviewd.connectors.events.EventSink} contract. Pure data; calls no external system.
 */
package io.tviewd.connectors.events;
