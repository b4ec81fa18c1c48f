package io.tviewd.connectors.postgres.plan;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.tviewd.connectors.TableName;
import io.tviewd.connectors.postgres.catalog.BaseTable;
import io.tviewd.connectors.postgres.catalog.Tview;

/** Key mappings from what {@link Lineage} found: the root's own key, and a chain of equalities as a lookup path. */
final class ChainPaths {

    private ChainPaths() {
    }

    static List<KeyMapping> rootMappings(Tview t, BaseTable root, String keyColumn) {
        List<KeyMapping> out = new ArrayList<>();
        out.add(new KeyMapping.Direct(root.name(), keyColumn));
        for (String pk : root.primaryKey()) {
            if (!pk.equals(keyColumn) && t.columns().contains(pk)) {
                out.add(new KeyMapping.Lineage(root.name(), pk, pk, t.columnTypes().get(pk)));
            }
        }
        return out;
    }

    static KeyMapping.Path toPath(QueryCatalog queries, Lineage.Chain c, Map<TableName, BaseTable> bases) {
        List<Lineage.Link> links = c.links();
        List<KeyMapping.Hop> hops = new ArrayList<>();
        for (int i = 0; i < links.size(); i++) {
            Lineage.Link l = links.get(i);
            String exit = i + 1 < links.size() ? links.get(i + 1).fromColumn() : null;
            hops.add(new KeyMapping.Hop(l.to().table(), l.toColumn(), exit, queries.columnType(l.to().table(), l.toColumn()),
                    exit == null ? null : queries.columnType(l.to().table(), exit)));
        }
        Lineage.Link first = links.get(0);
        TableName table = c.use().table();
        String type = queries.columnType(table, first.fromColumn());
        String kind;
        if (links.size() > 1) {
            kind = "multi-hop";
        } else if (table.equals(c.root().use().table())) {
            kind = "sibling";
        } else {
            BaseTable b = bases.get(table);
            kind = b != null && b.primaryKey().equals(List.of(first.fromColumn())) ? "parent" : "child";
        }
        return new KeyMapping.Path(table, first.fromColumn(), type, hops, c.root().column(), kind);
    }
}
