package io.tviewd.connectors.postgres.plan;

import java.util.List;
import java.util.Map;

import io.tviewd.connectors.TableName;
import io.tviewd.connectors.postgres.catalog.BaseTable;
import io.tviewd.connectors.postgres.catalog.Tview;
import io.tviewd.connectors.postgres.catalog.TviewCatalog.CatalogException;

/** What old row images must carry for a plan's mappings, against what each base table's replica identity carries. */
final class ReplicaIdentityCheck {

    private ReplicaIdentityCheck() {
    }

    /**
     * Old images must carry every column a mapping reads from them (deletes and moves map through the old image): what
     * the identity really carries — primary key, the {@code USING INDEX} columns, or all columns with FULL. A table no
     * identity covers at all would make writers' UPDATE and DELETE fail once published: always refused.
     */
    static void check(Tview t, Map<TableName, List<KeyMapping>> mappings, List<String> warnings, boolean enforce) {
        for (BaseTable b : t.baseTables()) {
            if (b.breaksWritersWhenPublished()) {
                throw new CatalogException("Tview " + t.table() + ": base table " + b.name() + " has REPLICA IDENTITY "
                        + b.replicaIdentityName() + (b.primaryKey().isEmpty() ? " and no primary key" : "")
                        + ": once it is published, every UPDATE and DELETE on it would fail for its writers. Run "
                        + b.fullIdentityStatements() + " (or add a primary key)");
            }
            KeyMapping m = misses(b, mappings.getOrDefault(b.name(), List.of()));
            if (m != null) {
                List<String> identity = b.identityColumns();
                String problem = "Tview " + t.table() + ": mapping " + m.kind() + " reads " + b.name() + "." + m.rowColumn()
                        + " from the old row image, but " + b.name() + " has REPLICA IDENTITY " + b.replicaIdentityName()
                        + " (old images carry only " + identity + "), so deletes and moves to another parent would be missed:"
                        + " run " + b.fullIdentityStatements();
                if (enforce) {
                    throw new CatalogException(problem + " (or set refresh.replica-identity: warn to accept that)");
                }
                warnings.add(problem);
            }
        }
    }

    /**
     * The first of {@code ms} that reads a column of {@code b} its old row images do not carry (null when none does):
     * what the identity really carries is the primary key, the {@code USING INDEX} columns, or all columns with FULL. The
     * key's own column may be outside it when the root is also keyed by an identity column.
     */
    static KeyMapping misses(BaseTable b, List<KeyMapping> ms) {
        if (b == null || b.replicaIdentity() == 'f') {
            return null;
        }
        List<String> identity = b.identityColumns();
        boolean rootKeyedByIdentity = ms.stream().anyMatch(m -> (m instanceof KeyMapping.Direct || m instanceof KeyMapping.Lineage)
                && identity.contains(m.rowColumn()));
        for (KeyMapping m : ms) {
            if (m instanceof KeyMapping.FullRefresh || m.rowColumn() == null || identity.contains(m.rowColumn())) {
                continue;
            }
            if (m instanceof KeyMapping.Direct && rootKeyedByIdentity) {
                continue;
            }
            return m;
        }
        return null;
    }
}
