package io.tviewd.connectors.postgres.plan;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.tviewd.connectors.TableName;

/** Orders plans so that a tview comes after every tview its source view reads; refuses cycles. */
final class TopologicalOrder {

    /** Tviews that read each other in a circle: none of them can be refreshed after the others. */
    static final class CycleException extends IllegalStateException {
        final List<TableName> members;

        CycleException(String message, List<TableName> members) {
            super(message);
            this.members = members;
        }
    }

    private TopologicalOrder() {
    }

    static List<RefreshPlan> sort(List<RefreshPlan> plans) {
        Map<TableName, RefreshPlan> byTable = new LinkedHashMap<>();
        plans.forEach(p -> byTable.put(p.tview().table(), p));
        List<RefreshPlan> out = new ArrayList<>();
        Set<TableName> done = new LinkedHashSet<>();
        for (RefreshPlan p : plans) {
            visit(p, byTable, done, new LinkedHashSet<>(), out);
        }
        return out;
    }

    private static void visit(RefreshPlan p, Map<TableName, RefreshPlan> byTable, Set<TableName> done,
                              LinkedHashSet<TableName> path, List<RefreshPlan> out) {
        TableName t = p.tview().table();
        if (done.contains(t)) {
            return;
        }
        if (!path.add(t)) {
            List<String> cycle = new ArrayList<>();
            path.forEach(n -> cycle.add(n.toString()));
            cycle.add(t.toString());
            throw new CycleException("Tview dependency cycle: " + String.join(" -> ", cycle), List.copyOf(path));
        }
        for (TableName dep : p.tview().dependsOn()) {
            RefreshPlan d = byTable.get(dep);
            if (d != null) {
                visit(d, byTable, done, path, out);
            }
        }
        path.remove(t);
        done.add(t);
        out.add(p);
    }
}
