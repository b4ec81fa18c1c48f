package io.tviewd.connectors.postgres.plan;

import java.util.List;
import java.util.Map;
import java.util.Set;

import io.tviewd.connectors.TableName;
import io.tviewd.connectors.postgres.catalog.Tview;

/**
 * A tview with, for every base table its source view reads, the mappings from a changed row to
 * tview keys. Base tables left without mapping (policy {@code warn}) are listed in {@link #unmapped()};
 * {@link #warnings()} says what the operator accepted.
 */
public record RefreshPlan(Tview tview, Map<TableName, List<KeyMapping>> mappings, Set<TableName> unmapped,
                          List<String> warnings) {

    public RefreshPlan {
        mappings = Map.copyOf(mappings);
        unmapped = Set.copyOf(unmapped);
        warnings = List.copyOf(warnings);
    }

    public List<KeyMapping> mappingsFor(TableName table) {
        return mappings.getOrDefault(table, List.of());
    }
}
