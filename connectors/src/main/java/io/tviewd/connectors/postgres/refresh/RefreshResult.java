package io.tviewd.connectors.postgres.refresh;

import io.tviewd.connectors.postgres.catalog.Tview;

/**
 * Outcome of refreshing one tview within one batch.
 *
 * @param keys distinct keys recomputed (after lookups); for a full refresh, the rows the view returned
 * @param written rows inserted or updated because their content changed
 * @param deleted rows removed because the view no longer returns them
 * @param unchanged keys the view returned whose row was already equal (no write)
 * @param nanos time spent on this tview
 * @param error null on success; otherwise why this tview's refresh failed (the batch's other tviews still committed)
 */
public record RefreshResult(Tview tview, boolean full, long keys, long written, long deleted, long unchanged, long nanos,
                            String error) {

    public boolean failed() {
        return error != null;
    }
}
