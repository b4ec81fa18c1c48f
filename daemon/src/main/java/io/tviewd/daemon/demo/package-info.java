/**
 * The demo's embedded PostgreSQL, blog schema and write workload. Called by the CLI's demo and tests; calls no daemon
 * package.
 */
package io.tviewd.daemon.demo;
