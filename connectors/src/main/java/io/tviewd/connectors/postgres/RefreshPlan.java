package io.tviewd.connectors.postgres;

import java.util.List;
import java.util.Map;
import java.util.Set;

import io.tviewd.connectors.TableName;

/**
 * A tview with, for every base table its source view reads, the mappings from a changed row to
 * tview keys. Base tables with no derivable mapping are listed in {@link #unmapped()}.
 */
public record RefreshPlan(Tview tview, Map<TableName, List<KeyMapping>> mappings, Set<TableName> unmapped) {

    public RefreshPlan {
        mappings = Map.copyOf(mappings);
        unmapped = Set.copyOf(unmapped);
    }

    public List<KeyMapping> mappingsFor(TableName table) {
        return mappings.getOrDefault(table, List.of());
    }
}
