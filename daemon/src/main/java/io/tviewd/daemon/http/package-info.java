/**
 * The HTTP server: health and metrics, the tview resource, SSE. Reads the daemon through
 * {@link io.tviewd.daemon.http.DaemonView}; calls pipeline, events and cutover, never the wiring or cli.
 */
package io.tviewd.daemon.http;
