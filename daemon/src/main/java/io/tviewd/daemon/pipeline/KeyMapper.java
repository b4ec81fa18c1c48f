package io.tviewd.daemon.pipeline;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.tviewd.connectors.RowChange;
import io.tviewd.connectors.TableName;
import io.tviewd.connectors.postgres.catalog.Tview;
import io.tviewd.connectors.postgres.plan.KeyMapping;
import io.tviewd.connectors.postgres.plan.RefreshPlan;
import io.tviewd.connectors.postgres.refresh.RefreshCause;
import io.tviewd.connectors.postgres.refresh.RefreshRequest;

/**
 * Maps a batch of row changes to refresh requests using the tviews' refresh plans, coalescing keys:
 * however often a key changes within a batch, it is recomputed once. Uses both old and new images,
 * so a row that moves to another parent refreshes both. A TRUNCATE asks for a full refresh. An UPDATE that changed
 * none of the columns a tview's views read ({@link RefreshPlan#readColumns()}) maps to nothing for that tview.
 *
 * <p>Pure and single-threaded: no I/O; lookups through other tables are left to the refresher.
 */
public final class KeyMapper {

    private record Target(RefreshPlan plan, KeyMapping mapping) {
    }

    /**
     * What a batch maps to, plus bookkeeping for metrics.
     *
     * @param ignoredPerTable per tview and table, the updates that changed no column the tview reads (mapped to nothing)
     */
    public record Mapped(List<RefreshRequest> requests, Map<String, Map<TableName, Integer>> keysPerTable, int unmappable,
                         Map<String, Map<TableName, Integer>> ignoredPerTable) {
    }

    /** Debezium's stand-in for an unchanged TOASTed value; never a key. */
    static final String UNAVAILABLE = "__debezium_unavailable_value";

    private final Map<TableName, List<Target>> byTable = new HashMap<>();
    private final Map<TableName, List<RefreshPlan>> plansByTable = new HashMap<>();
    private final List<RefreshPlan> ordered;

    /**
     * @param plans refresh plans in refresh order (a tview after the tviews it reads). A plan every tview of which it reads
     *        is among them maps by level ({@link RefreshPlan#streamMappings}): the refresher carries the inner tviews' row
     *        changes on to it ({@link #carriedTo})
     */
    public KeyMapper(List<RefreshPlan> plans) {
        this.ordered = List.copyOf(plans);
        for (RefreshPlan p : plans) {
            for (Map.Entry<TableName, List<KeyMapping>> e : p.streamMappings(carriedTo(p, plans)).entrySet()) {
                for (KeyMapping m : e.getValue()) {
                    byTable.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(new Target(p, m));
                }
            }
            p.tview().baseTables().forEach(b -> plansByTable.computeIfAbsent(b.name(), k -> new ArrayList<>()).add(p));
        }
    }

    /**
     * True when the refresher of these plans must carry the row changes of the tviews {@code p} reads on to it (and
     * does, given {@code Readers} built from the plans this is true for): every one of them is refreshed from the same
     * change stream, so base-table changes below them need not map to {@code p} at all.
     */
    public static boolean carriedTo(RefreshPlan p, List<RefreshPlan> plans) {
        if (!p.byLevel()) {
            return false;
        }
        Set<TableName> streamed = new java.util.HashSet<>();
        plans.forEach(q -> streamed.add(q.tview().table()));
        return streamed.containsAll(p.tview().dependsOn());
    }

    public Mapped map(List<RowChange> changes) {
        // plans, tviews and mappings are records whose hash codes walk the whole plan: keyed by identity here (the
        // mapper's own instances), since a batch looks them up several times per change
        Map<Tview, Set<String>> keys = new IdentityHashMap<>();
        Map<Tview, Map<KeyMapping, Set<String>>> lookups = new IdentityHashMap<>();
        Set<Tview> full = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        Map<Tview, Cause> causes = new IdentityHashMap<>();
        Map<String, Map<TableName, Integer>> counts = new LinkedHashMap<>();
        Map<String, Map<TableName, Integer>> ignored = new LinkedHashMap<>();
        int unmappable = 0;
        for (RowChange c : changes) {
            if (c.op() == RowChange.Op.TRUNCATE) {
                plansByTable.getOrDefault(c.table(), List.of()).forEach(p -> {
                    full.add(p.tview());
                    causes.computeIfAbsent(p.tview(), k -> new Cause()).add(c);
                });
                continue;
            }
            Map<Tview, Boolean> hit = new IdentityHashMap<>();
            Map<RefreshPlan, Boolean> unread = new IdentityHashMap<>();
            for (Target t : byTable.getOrDefault(c.table(), List.of())) {
                Tview tv = t.plan().tview();
                if (unread.computeIfAbsent(t.plan(), p -> changesNothingRead(p, c))) {
                    if (!hit.containsKey(tv)) {
                        ignored.computeIfAbsent(tv.name(), k -> new LinkedHashMap<>()).merge(c.table(), 1, Integer::sum);
                        hit.put(tv, true);
                    }
                    continue;
                }
                if (t.mapping() instanceof KeyMapping.FullRefresh) {
                    full.add(tv);
                    hit.put(tv, true);
                    causes.computeIfAbsent(tv, k -> new Cause()).add(c);
                    continue;
                }
                int found = 0;
                for (Map<String, Object> image : images(c)) {
                    Object v = image.get(t.mapping().rowColumn());
                    if (v == null || UNAVAILABLE.equals(v)) {
                        // null: not in the image (replica identity); placeholder: an unchanged TOASTed value
                        continue;
                    }
                    String s = v.toString();
                    boolean added = t.mapping() instanceof KeyMapping.Direct
                            ? keys.computeIfAbsent(tv, k -> new LinkedHashSet<>()).add(s)
                            : lookups.computeIfAbsent(tv, k -> new IdentityHashMap<>())
                                    .computeIfAbsent(t.mapping(), k -> new LinkedHashSet<>()).add(s);
                    found++;
                    if (added) {
                        counts.computeIfAbsent(tv.name(), k -> new LinkedHashMap<>()).merge(c.table(), 1, Integer::sum);
                    }
                }
                hit.merge(tv, found > 0, Boolean::logicalOr);
                if (found > 0) {
                    causes.computeIfAbsent(tv, k -> new Cause()).add(c);
                }
            }
            for (boolean h : hit.values()) {
                if (!h) {
                    unmappable++;
                }
            }
        }
        List<RefreshRequest> out = new ArrayList<>();
        for (RefreshPlan p : ordered) {
            Tview tv = p.tview();
            RefreshCause cause = causes.getOrDefault(tv, new Cause()).cause();
            if (full.contains(tv)) {
                out.add(RefreshRequest.full(tv, cause));
            } else if (keys.containsKey(tv) || lookups.containsKey(tv)) {
                // equal mappings of two uses become one lookup (by value now, once per batch)
                Map<KeyMapping, Set<String>> byMapping = new LinkedHashMap<>();
                lookups.getOrDefault(tv, Map.of()).forEach((m, values) -> byMapping.computeIfAbsent(m, k -> new LinkedHashSet<>()).addAll(values));
                out.add(new RefreshRequest(tv, keys.getOrDefault(tv, Set.of()), byMapping, false, cause));
            }
        }
        return new Mapped(out, counts, unmappable, ignored);
    }

    /**
     * True for an UPDATE whose old and new images agree on every column the plan reads from its table. Only where the
     * plan knows those columns (full old images); an unchanged TOASTed value (Debezium's placeholder) is unchanged.
     */
    static boolean changesNothingRead(RefreshPlan plan, RowChange c) {
        if (c.op() != RowChange.Op.UPDATE || c.before() == null || c.after() == null) {
            return false;
        }
        Set<String> read = plan.readColumns().get(c.table());
        if (read == null) {
            return false;
        }
        for (String column : read) {
            if (!c.before().containsKey(column) || !c.after().containsKey(column)) {
                return false;
            }
            Object after = c.after().get(column);
            if (UNAVAILABLE.equals(after)) {
                continue;
            }
            if (!java.util.Objects.deepEquals(c.before().get(column), after)) {
                return false;
            }
        }
        return true;
    }

    /** Base tables and source transactions that caused one tview's refresh in a batch. */
    private static final class Cause {
        private final Set<TableName> tables = new java.util.TreeSet<>();
        private final Set<Long> txids = new java.util.TreeSet<>();

        void add(RowChange c) {
            tables.add(c.table());
            txids.add(c.txId());
        }

        RefreshCause cause() {
            return RefreshCause.of(RefreshPipeline.MODE, tables, txids);
        }
    }

    private static List<Map<String, Object>> images(RowChange c) {
        List<Map<String, Object>> out = new ArrayList<>(2);
        if (c.after() != null) {
            out.add(c.after());
        }
        if (c.before() != null) {
            out.add(c.before());
        }
        return out;
    }
}
