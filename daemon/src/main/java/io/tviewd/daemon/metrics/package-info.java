/**
 * Micrometer meters under the {@code tviewd.} prefix ({@link io.tviewd.daemon.metrics.DaemonMetrics}). A leaf: it reads
 * only connector records and never calls another daemon package.
 */
package io.tviewd.daemon.metrics;
