/**
 * The benchmark ({@code tviewd bench}): the blog data set, writers, the freshness probe, the daemon as a child process,
 * the report. Calls the demo database and connectors only; the daemon under test is the jar, run like an operator runs it.
 */
package io.tviewd.daemon.bench;
