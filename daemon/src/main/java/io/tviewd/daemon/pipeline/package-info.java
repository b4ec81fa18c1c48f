/**
 * The path of a change after the change source: {@link io.tviewd.daemon.pipeline.KeyMapper} (row → tview keys),
 * {@link io.tviewd.daemon.pipeline.RefreshPipeline} (coalesce, refresh, quarantine), modes, schedules, CDC progress.
 * Calls connectors, metrics and retry; never events, http, cutover or cli.
 */
package io.tviewd.daemon.pipeline;
