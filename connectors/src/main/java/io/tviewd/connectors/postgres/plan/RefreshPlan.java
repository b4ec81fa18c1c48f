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
 *
 * @param readColumns per base table, the columns whose change can alter the tview (read by a view of the closure, or
 *        a mapping's column); an UPDATE that changes none of them maps to nothing. Only for tables whose old images
 *        carry every column (REPLICA IDENTITY FULL) and whose reads are all known; absent means any column counts
 * @param lineage per use of a base table in the view, the mapping that covers it or why none does ({@code check} prints it)
 */
public record RefreshPlan(Tview tview, Map<TableName, List<KeyMapping>> mappings, Set<TableName> unmapped,
                          List<String> warnings, Map<TableName, Set<String>> readColumns, List<String> lineage) {

    public RefreshPlan {
        mappings = Map.copyOf(mappings);
        unmapped = Set.copyOf(unmapped);
        warnings = List.copyOf(warnings);
        readColumns = Map.copyOf(readColumns);
        lineage = List.copyOf(lineage);
    }

    /** A plan where every column of every base table counts as read. */
    public RefreshPlan(Tview tview, Map<TableName, List<KeyMapping>> mappings, Set<TableName> unmapped, List<String> warnings) {
        this(tview, mappings, unmapped, warnings, Map.of(), List.of());
    }

    public List<KeyMapping> mappingsFor(TableName table) {
        return mappings.getOrDefault(table, List.of());
    }
}
