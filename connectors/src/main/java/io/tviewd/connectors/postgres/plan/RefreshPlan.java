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
 * @param tviewMappings per tview the source view reads directly, how a changed row of it (old or new) maps to keys of this
 *        one, derived with that tview read as a table: a refresh of the inner tview by any command carries its actual
 *        row changes up a level at a time. Empty when the view reads no tview, or when some tview it reads has no such
 *        mapping; a change to an inner tview outside the change stream then diff-refreshes this whole tview
 */
public record RefreshPlan(Tview tview, Map<TableName, List<KeyMapping>> mappings, Set<TableName> unmapped,
                          List<String> warnings, Map<TableName, Set<String>> readColumns, List<String> lineage,
                          Map<TableName, List<KeyMapping>> tviewMappings) {

    public RefreshPlan {
        mappings = Map.copyOf(mappings);
        unmapped = Set.copyOf(unmapped);
        warnings = List.copyOf(warnings);
        readColumns = Map.copyOf(readColumns);
        lineage = List.copyOf(lineage);
        tviewMappings = Map.copyOf(tviewMappings);
    }

    public RefreshPlan(Tview tview, Map<TableName, List<KeyMapping>> mappings, Set<TableName> unmapped, List<String> warnings,
                       Map<TableName, Set<String>> readColumns, List<String> lineage) {
        this(tview, mappings, unmapped, warnings, readColumns, lineage, Map.of());
    }

    /** True when a change to the tviews this one reads maps to its keys row by row (see {@link #tviewMappings}). */
    public boolean mapsTviewRows() {
        return !tviewMappings.isEmpty();
    }

    /** A plan where every column of every base table counts as read. */
    public RefreshPlan(Tview tview, Map<TableName, List<KeyMapping>> mappings, Set<TableName> unmapped, List<String> warnings) {
        this(tview, mappings, unmapped, warnings, Map.of(), List.of(), Map.of());
    }

    public List<KeyMapping> mappingsFor(TableName table) {
        return mappings.getOrDefault(table, List.of());
    }
}
