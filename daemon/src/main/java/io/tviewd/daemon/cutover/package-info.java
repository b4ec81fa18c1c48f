/**
 * Make-before-break mode changes, journaled: {@link io.tviewd.daemon.cutover.CutoverRun} for one request,
 * {@link io.tviewd.daemon.cutover.Cutover} for its steps. Calls the pipeline's CDC progress and connectors; called by cli
 * and http.
 */
package io.tviewd.daemon.cutover;
