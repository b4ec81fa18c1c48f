/**
 * Refresh by key: the generated statements, the {@link io.tviewd.connectors.postgres.refresh.Refresher} (one transaction
 * per call), populate and verify. Calls plan and catalog; never triggers, state or check.
 */
package io.tviewd.connectors.postgres.refresh;
