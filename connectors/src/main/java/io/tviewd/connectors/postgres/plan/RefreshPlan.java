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
 * @param levelMappings with {@code byLevel}: the mappings of the base tables the source view reads itself (not through a
 *        tview), from the same analysis as {@code tviewMappings}. A change stream that also carries the row changes of
 *        every tview this one reads (its refresher has {@code Readers} for them) maps base-table changes by these alone:
 *        depth is per level, and a change below an inner tview reaches this one only if it changed the inner's rows
 * @param byLevel true when {@code tviewMappings} and {@code levelMappings} together cover every use: every tview read
 *        maps, and every base table the view reads itself maps at its level (or has the same declared, full-refresh or
 *        ignored treatment as in {@code mappings}) with old images that carry the columns it maps by
 */
public record RefreshPlan(Tview tview, Map<TableName, List<KeyMapping>> mappings, Set<TableName> unmapped,
                          List<String> warnings, Map<TableName, Set<String>> readColumns, List<String> lineage,
                          Map<TableName, List<KeyMapping>> tviewMappings, Map<TableName, List<KeyMapping>> levelMappings,
                          boolean byLevel) {

    public RefreshPlan {
        mappings = Map.copyOf(mappings);
        unmapped = Set.copyOf(unmapped);
        warnings = List.copyOf(warnings);
        readColumns = Map.copyOf(readColumns);
        lineage = List.copyOf(lineage);
        tviewMappings = Map.copyOf(tviewMappings);
        levelMappings = Map.copyOf(levelMappings);
        byLevel = byLevel && !tviewMappings.isEmpty();
    }

    public RefreshPlan(Tview tview, Map<TableName, List<KeyMapping>> mappings, Set<TableName> unmapped, List<String> warnings,
                       Map<TableName, Set<String>> readColumns, List<String> lineage) {
        this(tview, mappings, unmapped, warnings, readColumns, lineage, Map.of(), Map.of(), false);
    }

    /** True when a change to the tviews this one reads maps to its keys row by row (see {@link #tviewMappings}). */
    public boolean mapsTviewRows() {
        return !tviewMappings.isEmpty();
    }

    /** A plan where every column of every base table counts as read. */
    public RefreshPlan(Tview tview, Map<TableName, List<KeyMapping>> mappings, Set<TableName> unmapped, List<String> warnings) {
        this(tview, mappings, unmapped, warnings, Map.of(), List.of(), Map.of(), Map.of(), false);
    }

    /**
     * The base-table mappings a change stream uses: {@link #levelMappings} when {@code carried} (its refresher carries the
     * row changes of every tview this one reads) and the plan maps by level, else {@link #mappings}.
     */
    public Map<TableName, List<KeyMapping>> streamMappings(boolean carried) {
        return carried && byLevel ? levelMappings : mappings;
    }

    public List<KeyMapping> mappingsFor(TableName table) {
        return mappings.getOrDefault(table, List.of());
    }
}
