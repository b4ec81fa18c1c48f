package io.tviewd.connectors.postgres.plan;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.tviewd.connectors.TableName;
import io.tviewd.connectors.postgres.catalog.BaseTable;
import io.tviewd.connectors.postgres.catalog.Tview;

/** A source view's mappings one level deep, the tviews it reads taken as tables (see {@link RefreshPlan#byLevel}). */
final class LevelMappings {

    private final QueryCatalog queries;

    LevelMappings(QueryCatalog queries) {
        this.queries = queries;
    }

    /**
     * The source view seen one level deep (see {@link #of}): how changed rows of the tviews it reads map, how the base
     * tables it reads itself map, and whether the two cover every use.
     */
    record Level(Map<TableName, List<KeyMapping>> tviews, Map<TableName, List<KeyMapping>> bases, boolean complete) {
        static final Level NONE = new Level(Map.of(), Map.of(), false);
    }

    /**
     * The source view analysed again with every tview it reads taken as a table (not followed into its own view), so each
     * level maps from the rows of the level below, whatever changed them:
     * <ul>
     *   <li>how a changed row of each tview read maps to keys of {@code t} (empty unless every tview read is covered that
     *       way; a change to such an inner tview outside the change stream then diff-refreshes all of {@code t});</li>
     *   <li>how a changed row of each base table the view reads itself maps, at this level. Complete only when every such
     *       use maps, or has the treatment {@code mappings} gives its table (declared SQL, full refresh, ignored), and
     *       the table's old images carry what it maps by: otherwise a change stream keeps mapping by the full lineage.</li>
     * </ul>
     */
    Level of(Tview t, List<String> report, Map<TableName, List<KeyMapping>> mappings, Set<TableName> unmapped,
                        Set<TableName> explicitTables, Map<TableName, BaseTable> bases) throws SQLException {
        if (t.dependsOn().isEmpty()) {
            return Level.NONE;
        }
        Lineage.Result lineage;
        try {
            lineage = Lineage.of(queries, t.sourceView(), t.keyColumn(), Map.of());
        } catch (RuntimeException e) {
            report.add("tviews read: each change to one diff-refreshes this whole tview (" + e.getMessage() + ")");
            return Level.NONE;
        }
        Set<TableName> tviews = new LinkedHashSet<>(t.dependsOn());
        Map<TableName, List<KeyMapping>> out = new LinkedHashMap<>();
        Map<TableName, List<KeyMapping>> own = new LinkedHashMap<>();
        Set<TableName> settled = new LinkedHashSet<>();
        String incomplete = null;
        List<String> lines = new ArrayList<>();
        for (Lineage.Problem pr : lineage.problems()) {
            if (pr.use() != null && tviews.contains(pr.use().table())) {
                report.add("tview " + pr.use().describe() + ": its own row changes map to nothing (" + pr.reason()
                        + "), so each change to it outside the change stream diff-refreshes this whole tview");
                return Level.NONE;
            }
            TableName table = pr.use() == null ? null : pr.use().table();
            if (table != null && treatedAsDeclared(table, mappings, unmapped, explicitTables)) {
                settled.add(table);
            } else if (incomplete == null) {
                incomplete = (pr.use() == null ? pr.what() : pr.use().describe()) + ": " + pr.reason();
            }
        }
        for (Lineage.Root r : lineage.roots()) {
            TableName table = r.use().table();
            if (tviews.contains(table)) {
                List<KeyMapping> list = out.computeIfAbsent(table, k -> new ArrayList<>());
                KeyMapping m = new KeyMapping.Direct(table, r.column());
                if (!list.contains(m)) {
                    list.add(m);
                    lines.add("tview " + r.use().describe() + ": a changed row's " + r.column() + " is the key");
                }
            } else if (bases.containsKey(table)) {
                ChainPaths.rootMappings(t, bases.get(table), r.column()).forEach(m -> addOnce(own, table, m));
            }
        }
        for (Map.Entry<Lineage.Use, List<Lineage.Chain>> e : lineage.chains().entrySet()) {
            TableName table = e.getKey().table();
            for (Lineage.Chain c : e.getValue()) {
                KeyMapping.Path p = ChainPaths.toPath(queries, c, tviews.contains(table) ? Map.of() : bases);
                if (tviews.contains(table)) {
                    addOnce(out, table, p);
                    lines.add("tview " + e.getKey().describe() + ": its changed rows map by " + p.kind() + " " + p.describe()
                            + " → key " + c.root().column());
                } else {
                    addOnce(own, table, p);
                }
            }
        }
        // a tview read only deeper down (through another tview) reaches this one through that one's changes
        for (Lineage.Use u : lineage.uses()) {
            TableName table = u.table();
            if (tviews.contains(table) && !out.containsKey(table)) {
                report.add("tview " + u.describe() + ": no chain maps its rows, so each change to it outside the change stream"
                        + " diff-refreshes this whole tview");
                return Level.NONE;
            }
            if (tviews.contains(table)) {
                continue;
            }
            if (!bases.containsKey(table) && incomplete == null) {
                incomplete = u.describe() + " is not one of the tview's base tables";
            }
            if (treatedAsDeclared(table, mappings, unmapped, explicitTables)) {
                settled.add(table);
            }
        }
        for (TableName table : settled) {
            own.remove(table);
            if (mappings.containsKey(table)) {
                own.put(table, mappings.get(table));
            }
        }
        for (Map.Entry<TableName, List<KeyMapping>> e : own.entrySet()) {
            KeyMapping missed = ReplicaIdentityCheck.misses(bases.get(e.getKey()), e.getValue());
            if (missed != null && incomplete == null) {
                incomplete = "mapping " + missed.kind() + " reads " + e.getKey() + "." + missed.rowColumn()
                        + " from old row images, which do not carry it";
            }
        }
        report.addAll(lines);
        if (incomplete != null) {
            report.add("change stream: maps base-table changes below the tviews it reads by the full lineage ("
                    + incomplete + ")");
        } else {
            report.add("change stream: maps the base tables it reads itself at this level, and the tviews it reads by their"
                    + " own row changes");
        }
        return new Level(out, own, incomplete == null);
    }

    /** True for a table whose changes map as the config says, not as a chain does: declared SQL, full refresh, or ignored. */
    private static boolean treatedAsDeclared(TableName table, Map<TableName, List<KeyMapping>> mappings, Set<TableName> unmapped,
                                             Set<TableName> explicitTables) {
        return explicitTables.contains(table) || unmapped.contains(table)
                || mappings.getOrDefault(table, List.of()).stream().anyMatch(m -> m instanceof KeyMapping.FullRefresh);
    }

    private static void addOnce(Map<TableName, List<KeyMapping>> into, TableName table, KeyMapping m) {
        List<KeyMapping> list = into.computeIfAbsent(table, k -> new ArrayList<>());
        if (!list.contains(m)) {
            list.add(m);
        }
    }
}
