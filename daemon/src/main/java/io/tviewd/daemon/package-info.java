/**
 * The wiring: {@link io.tviewd.daemon.Daemon} builds one running daemon from the stages below (pipeline, events, http,
 * metrics) and implements the view HTTP reads. Only the CLI calls it.
 */
package io.tviewd.daemon;
