package io.tviewd.connectors.postgres.plan;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.tviewd.config.TviewdConfig;
import io.tviewd.connectors.TableName;
import io.tviewd.connectors.postgres.catalog.Tview;
import io.tviewd.connectors.postgres.catalog.TviewCatalog;

/**
 * Discovery and planning in one read-only step, shared by the daemon and {@code check}: every tview
 * with its refresh plan in refresh order, and every refused tview with the reason.
 *
 * @param plans plans in refresh order (a tview after the tviews it reads)
 * @param refused tview → why it is not maintained
 */
public record TviewPlans(List<RefreshPlan> plans, Map<String, String> refused) {

    public TviewPlans {
        plans = List.copyOf(plans);
        refused = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(refused));
    }

    /** Reads the catalog; changes nothing. */
    public static TviewPlans read(Connection c, TviewdConfig config) throws SQLException {
        TviewCatalog catalog = new TviewCatalog(c);
        TviewCatalog.Discovery discovery = catalog.discover(config.discovery(), config.tviews());
        Map<String, String> refused = new LinkedHashMap<>(discovery.refused());
        RefreshPlanner planner = new RefreshPlanner(catalog, config.refresh(), config.tviews(), config.discovery().schemas().get(0));
        List<RefreshPlan> plans = new ArrayList<>();
        for (Tview t : discovery.tviews()) {
            try {
                plans.add(planner.plan(t));
            } catch (TviewCatalog.CatalogException e) {
                refused.put(t.table().toString(), e.getMessage());
            }
        }
        while (true) {
            plans = withoutRefusedDependencies(plans, refused);
            try {
                return new TviewPlans(TopologicalOrder.sort(plans), refused);
            } catch (TopologicalOrder.CycleException cycle) {
                for (TableName member : cycle.members) {
                    refused.put(member.toString(), cycle.getMessage() + ": tviews on a cycle cannot be refreshed in order");
                }
                plans = plans.stream().filter(p -> !cycle.members.contains(p.tview().table())).toList();
            }
        }
    }

    /** A tview that reads a refused tview cannot be kept correct: refuse it too, naming the cause. */
    private static List<RefreshPlan> withoutRefusedDependencies(List<RefreshPlan> plans, Map<String, String> refused) {
        List<RefreshPlan> kept = new ArrayList<>(plans);
        boolean changed = true;
        while (changed) {
            changed = false;
            for (RefreshPlan p : List.copyOf(kept)) {
                for (TableName dep : p.tview().dependsOn()) {
                    if (kept.stream().noneMatch(k -> k.tview().table().equals(dep))) {
                        refused.put(p.tview().table().toString(), "Tview " + p.tview().table() + " reads tview " + dep
                                + ", which is refused or not maintained");
                        kept.remove(p);
                        changed = true;
                        break;
                    }
                }
            }
        }
        return kept;
    }

    /** The plan of the tview named {@code tv_post} (public schema) or {@code schema.tv_post}. */
    public java.util.Optional<RefreshPlan> find(String name) {
        return plans.stream().filter(p -> p.tview().name().equals(name) || p.tview().table().toString().equals(name)).findFirst();
    }

    /** Base tables the plans map (the publication's content, besides the heartbeat table). */
    public java.util.Set<TableName> mappedTables() {
        java.util.Set<TableName> out = new java.util.TreeSet<>();
        plans.forEach(p -> out.addAll(p.mappings().keySet()));
        return out;
    }
}
