package io.tviewd.connectors;

import java.util.List;

/**
 * A run of consecutive changes handed to the refresh pipeline at once.
 *
 * @param changes row changes in commit order
 * @param sourceLagMillis how far behind the database the newest change is (commit time to now), or -1
 * @param lastLsn highest LSN seen in this batch, or -1
 */
public record ChangeBatch(List<RowChange> changes, long sourceLagMillis, long lastLsn) {
}
