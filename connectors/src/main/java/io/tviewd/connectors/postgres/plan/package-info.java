/**
 * Refresh plans: for each tview and base table, how a changed row maps to tview keys; refresh order between nested
 * tviews. Calls the catalog only.
 */
package io.tviewd.connectors.postgres.plan;
