/**
 * Preflight ({@code tviewd check}): reads every stage (catalog, plan, refresh, state) to report what would run and why
 * not. Nothing depends on it but the CLI.
 */
package io.tviewd.connectors.postgres.check;
