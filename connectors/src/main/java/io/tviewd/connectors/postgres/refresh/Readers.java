package io.tviewd.connectors.postgres.refresh;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.tviewd.connectors.TableName;
import io.tviewd.connectors.postgres.catalog.Tview;
import io.tviewd.connectors.postgres.plan.KeyMapping;
import io.tviewd.connectors.postgres.plan.RefreshPlan;

/**
 * Which tviews read which, row by row: for each inner tview, the tviews whose plans map its changed rows to their keys
 * ({@link RefreshPlan#tviewMappings}). A {@link Refresher} given these carries every row change it makes to an inner tview
 * on to its readers in the same transaction: the columns the readers' mappings need are returned by the inner's refresh
 * statement (old and new values of each changed row), translated to reader keys, and the readers are refreshed after it,
 * in refresh order.
 */
public final class Readers {

    /** No tview reads another: refreshes carry nothing on. */
    public static final Readers NONE = new Readers(List.of());

    /** A tview reading {@code inner}, and how a changed row of the inner maps to its keys. */
    record Reader(Tview tview, List<KeyMapping> mappings) {
    }

    private final Map<TableName, List<Reader>> byInner = new HashMap<>();
    private final Map<TableName, List<String>> tracked = new HashMap<>();
    private final Map<TableName, Integer> order = new HashMap<>();

    /** @param plans every plan, in refresh order (dependencies first) */
    public Readers(List<RefreshPlan> plans) {
        this(plans, p -> true);
    }

    /**
     * @param plans every plan, in refresh order (dependencies first)
     * @param carriedTo the plans that get the row changes of the tviews they read (the others are refreshed otherwise)
     */
    public Readers(List<RefreshPlan> plans, java.util.function.Predicate<RefreshPlan> carriedTo) {
        for (int i = 0; i < plans.size(); i++) {
            RefreshPlan p = plans.get(i);
            order.put(p.tview().table(), i);
            if (!carriedTo.test(p)) {
                continue;
            }
            p.tviewMappings().forEach((inner, mappings) -> byInner.computeIfAbsent(inner, k -> new ArrayList<>())
                    .add(new Reader(p.tview(), mappings)));
        }
        byInner.forEach((inner, readers) -> {
            Set<String> columns = new LinkedHashSet<>();
            readers.forEach(r -> r.mappings().forEach(m -> {
                if (m.rowColumn() != null) {
                    columns.add(m.rowColumn());
                }
            }));
            tracked.put(inner, List.copyOf(columns));
        });
    }

    /** True when no refresh carries anything on. */
    boolean none() {
        return byInner.isEmpty();
    }

    /** Every tview a change to one of {@code tviews} is carried on to, directly or through others (not those themselves). */
    Set<Tview> downstream(java.util.Collection<Tview> tviews) {
        Set<Tview> out = new LinkedHashSet<>();
        java.util.ArrayDeque<Tview> todo = new java.util.ArrayDeque<>(tviews);
        while (!todo.isEmpty()) {
            for (Reader r : byInner.getOrDefault(todo.poll().table(), List.of())) {
                if (out.add(r.tview())) {
                    todo.add(r.tview());
                }
            }
        }
        return out;
    }

    /** The columns of {@code t} whose old and new values its refresh must return (empty: no reader maps its rows). */
    List<String> tracked(Tview t) {
        return tracked.getOrDefault(t.table(), List.of());
    }

    /** Where a tview comes in refresh order ({@code Integer.MAX_VALUE} when unknown). */
    int order(Tview t) {
        return order.getOrDefault(t.table(), Integer.MAX_VALUE);
    }

    /**
     * The requests a refresh of {@code inner} owes its readers, given the old and new values of its changed rows per
     * tracked column: reader keys directly (a reader keyed by an inner column) or lookups to translate.
     */
    List<RefreshRequest> owed(Tview inner, Map<String, Set<String>> changed, RefreshCause cause) {
        List<RefreshRequest> out = new ArrayList<>();
        RefreshCause carried = new RefreshCause(cause.mode(), List.of(inner.table().toString()), cause.txids(), cause.truncated());
        for (Reader r : byInner.getOrDefault(inner.table(), List.of())) {
            Set<String> keys = new LinkedHashSet<>();
            Map<KeyMapping, Set<String>> lookups = new LinkedHashMap<>();
            boolean full = false;
            for (KeyMapping m : r.mappings()) {
                Set<String> values = m.rowColumn() == null ? Set.of() : changed.getOrDefault(m.rowColumn(), Set.of());
                if (m instanceof KeyMapping.FullRefresh) {
                    full = !changed.isEmpty();
                } else if (m instanceof KeyMapping.Direct) {
                    keys.addAll(values);
                } else if (!values.isEmpty()) {
                    lookups.computeIfAbsent(m, k -> new LinkedHashSet<>()).addAll(values);
                }
            }
            if (full) {
                out.add(RefreshRequest.full(r.tview(), carried));
            } else if (!keys.isEmpty() || !lookups.isEmpty()) {
                out.add(new RefreshRequest(r.tview(), keys, lookups, false, carried));
            }
        }
        return out;
    }

    /** Both requests' work in one (the first one's cause). */
    static RefreshRequest merge(RefreshRequest a, RefreshRequest b) {
        if (a.full() || b.full()) {
            return RefreshRequest.full(a.tview(), a.cause());
        }
        Set<String> keys = new LinkedHashSet<>(a.keys());
        keys.addAll(b.keys());
        Map<KeyMapping, Set<String>> lookups = new LinkedHashMap<>();
        a.lookups().forEach((m, v) -> lookups.computeIfAbsent(m, k -> new LinkedHashSet<>()).addAll(v));
        b.lookups().forEach((m, v) -> lookups.computeIfAbsent(m, k -> new LinkedHashSet<>()).addAll(v));
        return new RefreshRequest(a.tview(), keys, lookups, false, a.cause());
    }
}
