/**
 * Refresh events after the refresh: event streams from the WAL, live delivery (SSE, event bus) and durable sinks with
 * retry. Calls connectors, metrics and retry; never pipeline internals, http or cli.
 */
package io.tviewd.daemon.events;
