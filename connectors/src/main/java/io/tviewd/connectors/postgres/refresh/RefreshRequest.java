package io.tviewd.connectors.postgres.refresh;

import java.util.Map;
import java.util.Set;

import io.tviewd.connectors.postgres.catalog.Tview;
import io.tviewd.connectors.postgres.plan.KeyMapping;

/**
 * What one batch asks of one tview: keys to recompute, row values still to translate into keys
 * through lookup mappings, or a full recompute; and why (carried into the events it emits).
 */
public record RefreshRequest(Tview tview, Set<String> keys, Map<KeyMapping, Set<String>> lookups, boolean full,
                             RefreshCause cause) {

    public RefreshRequest {
        keys = Set.copyOf(keys);
        lookups = Map.copyOf(lookups);
    }

    public static RefreshRequest full(Tview tview, RefreshCause cause) {
        return new RefreshRequest(tview, Set.of(), Map.of(), true, cause);
    }

    public static RefreshRequest keys(Tview tview, Set<String> keys, RefreshCause cause) {
        return new RefreshRequest(tview, keys, Map.of(), false, cause);
    }
}
