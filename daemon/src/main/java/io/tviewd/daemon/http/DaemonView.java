package io.tviewd.daemon.http;

import java.util.Map;

import io.tviewd.config.TviewdConfig;
import io.tviewd.connectors.postgres.PostgresSessions;
import io.tviewd.daemon.events.EventStreams;
import io.tviewd.daemon.metrics.DaemonMetrics;
import io.tviewd.daemon.pipeline.RefreshPipeline;

/**
 * What the HTTP endpoints read from the running daemon. The wiring ({@code io.tviewd.daemon.Daemon})
 * implements it, so this package depends on the stages it serves and never on the wiring.
 *
 * <p>Threading: every method is called on an event loop and must answer from memory, without blocking.
 */
public interface DaemonView {

    /** Lifecycle state name: STARTING, RUNNING, STOPPING, STOPPED or FAILED. */
    String lifecycle();

    /** True while starting or running (liveness). */
    boolean alive();

    /** True while the change source streams from the slot. */
    boolean cdcStreaming();

    RefreshPipeline pipeline();

    /** The event streams, or null when events are disabled. */
    EventStreams events();

    /** Tviews refused at discovery, with the reason. */
    Map<String, String> refused();

    DaemonMetrics metrics();

    /** Sessions for admin work (verify, manual refresh), never the pipeline's own. */
    PostgresSessions sessions();

    TviewdConfig config();
}
