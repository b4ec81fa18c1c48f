/**
 * The daemon's own schema {@code tviewd}: offsets, persisted modes, the cutover journal, heartbeat. Calls plan for the
 * tviews whose state it keeps.
 */
package io.tviewd.connectors.postgres.state;
