package io.tviewd.connectors.postgres.plan;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import io.tviewd.config.MappingDeclaration;
import io.tviewd.config.RefreshConfig;
import io.tviewd.config.TviewDeclaration;
import io.tviewd.config.UnmappedPolicy;
import io.tviewd.connectors.TableName;
import io.tviewd.connectors.postgres.catalog.BaseTable;
import io.tviewd.connectors.postgres.catalog.Tview;
import io.tviewd.connectors.postgres.catalog.TviewCatalog;
import io.tviewd.connectors.postgres.catalog.TviewCatalog.CatalogException;
import io.tviewd.connectors.postgres.catalog.ViewClosure;

/**
 * Derives each tview's {@link RefreshPlan} from the catalog: for every base table its source view
 * reads, how a changed row maps to tview keys.
 *
 * <ul>
 *   <li>root table: the key itself ({@code root}) and lineage columns of the tview ({@code lineage});</li>
 *   <li>every simple path of single-column foreign keys (up to {@value #MAX_HOPS} hops) from the table
 *       to the root, through base tables of the view, using only foreign-key columns the views
 *       reference ({@code child}, {@code parent}, {@code multi-hop} — junction tables included);</li>
 *   <li>mappings declared in config ({@code explicit}) replace derived ones for their table;</li>
 *   <li>a table left without mapping gets the tview's unmapped policy: refuse, full refresh, or warn.</li>
 * </ul>
 * Every path is kept, not only the shortest: refreshing a key too many is harmless, missing one is not.
 */
public final class RefreshPlanner {

    static final int MAX_HOPS = 4;

    private record Edge(TableName from, String fromColumn, TableName to, String toColumn, String type) {
    }

    private record Step(Edge edge, TableName next, String ownColumn, String nextColumn) {
    }

    private final TviewCatalog catalog;
    private final RefreshConfig config;
    private final Map<TableName, TviewDeclaration> declarations = new LinkedHashMap<>();
    private final String defaultSchema;
    private List<Edge> edges;

    public RefreshPlanner(TviewCatalog catalog, RefreshConfig config, List<TviewDeclaration> declared, String defaultSchema) {
        this.catalog = catalog;
        this.config = config;
        this.defaultSchema = defaultSchema;
        declared.forEach(d -> declarations.put(TableName.parse(d.table(), defaultSchema), d));
    }

    /**
     * @throws CatalogException when the tview must be refused: an unmapped table under policy
     *         {@code error}, a bad explicit mapping, or a replica identity that loses old images
     *         while {@code refresh.replica-identity} is {@code enforce}
     */
    public RefreshPlan plan(Tview t) throws SQLException {
        TviewDeclaration decl = declarations.get(t.table());
        ViewClosure closure = catalog.closure(t.table());
        Map<TableName, List<KeyMapping>> mappings = new LinkedHashMap<>();
        List<String> warnings = new ArrayList<>();
        Set<TableName> explicitTables = new LinkedHashSet<>();
        if (decl != null) {
            for (MappingDeclaration m : decl.mappings()) {
                KeyMapping e = explicit(t, m);
                explicitTables.add(e.baseTable());
                mappings.computeIfAbsent(e.baseTable(), k -> new ArrayList<>()).add(e);
            }
        }
        Optional<BaseTable> rootTable = catalog.root(t);
        if (rootTable.isPresent()) {
            BaseTable root = rootTable.get();
            if (!explicitTables.contains(root.name())) {
                mappings.computeIfAbsent(root.name(), k -> new ArrayList<>()).addAll(rootMappings(t, root));
                if (root.hasColumn(t.keyColumn()) && closure.references().getOrDefault(root.name(), 0) > 1) {
                    // the views read the root table more than once, so a root row can reach other root rows:
                    // a user's name embedded, through tv_post, in the documents of the users whose posts they
                    // commented on (tb_user ← tb_comment → tb_post → tb_user), or followers through a junction
                    mappings.get(root.name()).addAll(paths(root.name(), root.name(), t.keyColumn(), closure));
                }
            }
            if (root.hasColumn(t.keyColumn())) {
                for (BaseTable b : t.baseTables()) {
                    if (!b.name().equals(root.name()) && !explicitTables.contains(b.name())) {
                        List<KeyMapping> paths = paths(b.name(), root.name(), t.keyColumn(), closure);
                        if (!paths.isEmpty()) {
                            mappings.computeIfAbsent(b.name(), k -> new ArrayList<>()).addAll(paths);
                        }
                    }
                }
            }
        }
        mappings.values().removeIf(List::isEmpty);
        UnmappedPolicy policy = decl != null && decl.unmapped().isPresent() ? decl.unmapped().get() : config.unmappedPolicy();
        Set<TableName> unmapped = new LinkedHashSet<>();
        for (BaseTable b : t.baseTables()) {
            if (mappings.containsKey(b.name())) {
                continue;
            }
            switch (policy) {
                case ERROR -> throw new CatalogException("Tview " + t.table() + ": no key mapping can be derived for base table "
                        + b.name() + " (no single-column foreign-key path to the root table "
                        + rootTable.map(r -> r.name().toString()).orElse("(none: no base table holds key " + t.keyColumn() + ")")
                        + " that the view uses): declare one under `tviews` as {table: " + t.table()
                        + ", mappings: [{table: " + b.name() + ", column: <column>, sql: \"SELECT <tview key> FROM ... WHERE ... = ANY(:values)\"}]}"
                        + " or set `unmapped: full_refresh` (or `warn`) for it");
                case FULL_REFRESH -> mappings.put(b.name(), List.of(new KeyMapping.FullRefresh(b.name())));
                case WARN -> {
                    unmapped.add(b.name());
                    warnings.add("changes to base table " + b.name() + " are ignored (unmapped: warn): the tview can go stale for them");
                }
            }
        }
        checkReplicaIdentity(t, mappings, warnings);
        return new RefreshPlan(t, mappings, unmapped, warnings, readColumns(t, closure, mappings));
    }

    /**
     * Per base table, the columns whose change can alter the tview: those some view of the closure references
     * (pg_depend), plus each mapping's column. Left out (any column counts) where that is not known for sure: tables
     * without full old images (an UPDATE's old values of other columns are missing, so "unchanged" could not be
     * told from "not logged"), tables read as whole rows or through system columns, and tables no column of which
     * is referenced.
     */
    private static Map<TableName, Set<String>> readColumns(Tview t, ViewClosure closure, Map<TableName, List<KeyMapping>> mappings) {
        Map<TableName, Set<String>> out = new LinkedHashMap<>();
        for (BaseTable b : t.baseTables()) {
            Set<String> referenced = closure.referencedColumns().get(b.name());
            if (b.replicaIdentity() != 'f' || closure.wholeRowTables().contains(b.name()) || referenced == null || referenced.isEmpty()) {
                continue;
            }
            Set<String> read = new java.util.TreeSet<>(referenced);
            for (KeyMapping m : mappings.getOrDefault(b.name(), List.of())) {
                if (m.rowColumn() != null) {
                    read.add(m.rowColumn());
                }
            }
            out.put(b.name(), read);
        }
        return out;
    }

    private static List<KeyMapping> rootMappings(Tview t, BaseTable root) {
        List<KeyMapping> out = new ArrayList<>();
        if (root.hasColumn(t.keyColumn())) {
            out.add(new KeyMapping.Direct(root.name(), t.keyColumn()));
        }
        for (String pk : root.primaryKey()) {
            if (!pk.equals(t.keyColumn()) && t.columns().contains(pk)) {
                out.add(new KeyMapping.Lineage(root.name(), pk, pk, t.columnTypes().get(pk)));
            }
        }
        return out;
    }

    private KeyMapping explicit(Tview t, MappingDeclaration m) throws SQLException {
        TableName table = TableName.parse(m.table(), defaultSchema);
        BaseTable base = t.baseTables().stream().filter(b -> b.name().equals(table)).findFirst().orElseThrow(() ->
                new CatalogException("Tview " + t.table() + ": a mapping is declared for table " + table + ", which its source view "
                        + t.sourceView() + " does not read (it reads " + t.baseTables().stream().map(b -> b.name().toString()).toList() + ")"));
        if (!base.hasColumn(m.column())) {
            throw new CatalogException("Tview " + t.table() + ": the mapping declared for " + table + " uses column '" + m.column()
                    + "', which " + table + " does not have");
        }
        return new KeyMapping.Explicit(table, m.column(), columnType(table, m.column()), m.sql());
    }

    /** Every simple foreign-key path from {@code from} to {@code root} through the closure's used edges. */
    private List<KeyMapping> paths(TableName from, TableName root, String rootKey, ViewClosure closure) throws SQLException {
        List<KeyMapping> out = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        search(from, root, rootKey, closure, new ArrayList<>(), new LinkedHashSet<>(List.of(from)), out, seen);
        return out;
    }

    private void search(TableName at, TableName root, String rootKey, ViewClosure closure, List<Step> path,
                        Set<TableName> visited, List<KeyMapping> out, Set<String> seen) throws SQLException {
        if (path.size() == MAX_HOPS) {
            return;
        }
        for (Edge e : edges()) {
            if (!used(e, closure)) {
                continue;
            }
            Step step;
            if (e.from().equals(at)) {
                step = new Step(e, e.to(), e.fromColumn(), e.toColumn());
            } else if (e.to().equals(at)) {
                step = new Step(e, e.from(), e.toColumn(), e.fromColumn());
            } else {
                continue;
            }
            if (!path.isEmpty() && path.get(path.size() - 1).edge().equals(e)) {
                continue; // straight back over the same foreign key: leads where it came from
            }
            if (visited.contains(step.next()) && !step.next().equals(root)) {
                continue;
            }
            path.add(step);
            if (step.next().equals(root)) {
                KeyMapping.Path p = toPath(path, rootKey);
                if (seen.add(p.toString())) {
                    out.add(p);
                }
            } else {
                visited.add(step.next());
                search(step.next(), root, rootKey, closure, path, visited, out, seen);
                visited.remove(step.next());
            }
            path.remove(path.size() - 1);
        }
    }

    private static KeyMapping.Path toPath(List<Step> steps, String rootKey) {
        List<KeyMapping.Hop> hops = new ArrayList<>();
        for (int i = 0; i < steps.size(); i++) {
            Step s = steps.get(i);
            String exit = i + 1 < steps.size() ? steps.get(i + 1).ownColumn() : null;
            hops.add(new KeyMapping.Hop(s.next(), s.nextColumn(), exit));
        }
        Step first = steps.get(0);
        String kind = steps.size() > 1 ? "multi-hop" : first.edge().to().equals(first.next()) ? "child" : "parent";
        return new KeyMapping.Path(first.edge().from().equals(first.next()) ? first.edge().to() : first.edge().from(),
                first.ownColumn(), first.edge().type(), hops, rootKey, kind);
    }

    /** An edge counts when both tables are read by the views and the views reference its foreign-key column. */
    private static boolean used(Edge e, ViewClosure closure) {
        Set<String> fromCols = closure.referencedColumns().get(e.from());
        return fromCols != null && closure.referencedColumns().containsKey(e.to()) && fromCols.contains(e.fromColumn());
    }

    private void checkReplicaIdentity(Tview t, Map<TableName, List<KeyMapping>> mappings, List<String> warnings) {
        for (BaseTable b : t.baseTables()) {
            if (b.replicaIdentity() == 'f') {
                continue;
            }
            List<KeyMapping> ms = mappings.getOrDefault(b.name(), List.of());
            boolean rootKeyedByPk = ms.stream().anyMatch(m -> (m instanceof KeyMapping.Direct || m instanceof KeyMapping.Lineage)
                    && b.primaryKey().contains(m.rowColumn()));
            for (KeyMapping m : ms) {
                if (m instanceof KeyMapping.FullRefresh || m.rowColumn() == null || b.primaryKey().contains(m.rowColumn())) {
                    continue;
                }
                if (m instanceof KeyMapping.Direct && rootKeyedByPk) {
                    continue;
                }
                String problem = "Tview " + t.table() + ": mapping " + m.kind() + " reads " + b.name() + "." + m.rowColumn()
                        + " from the old row image, but " + b.name() + " has REPLICA IDENTITY " + b.replicaIdentityName()
                        + ", so deletes and moves to another parent would be missed: run ALTER TABLE " + b.name().quoted()
                        + " REPLICA IDENTITY FULL;";
                if (config.enforceReplicaIdentity()) {
                    throw new CatalogException(problem + " (or set refresh.replica-identity: warn to accept that)");
                }
                warnings.add(problem);
                break;
            }
        }
    }

    private List<Edge> edges() throws SQLException {
        if (edges == null) {
            String sql = "SELECT fn.nspname, f.relname, fa.attname, tn.nspname, tt.relname, ta.attname, "
                    + "format_type(ta.atttypid, ta.atttypmod) FROM pg_constraint k "
                    + "JOIN pg_class f ON f.oid = k.conrelid JOIN pg_namespace fn ON fn.oid = f.relnamespace "
                    + "JOIN pg_class tt ON tt.oid = k.confrelid JOIN pg_namespace tn ON tn.oid = tt.relnamespace "
                    + "JOIN pg_attribute fa ON fa.attrelid = k.conrelid AND fa.attnum = k.conkey[1] "
                    + "JOIN pg_attribute ta ON ta.attrelid = k.confrelid AND ta.attnum = k.confkey[1] "
                    + "WHERE k.contype = 'f' AND array_length(k.conkey, 1) = 1 AND k.conrelid <> k.confrelid ORDER BY 1, 2, 3";
            List<Edge> out = new ArrayList<>();
            try (PreparedStatement ps = catalog.connection().prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Edge(new TableName(rs.getString(1), rs.getString(2)), rs.getString(3),
                            new TableName(rs.getString(4), rs.getString(5)), rs.getString(6), rs.getString(7)));
                }
            }
            edges = out;
        }
        return edges;
    }

    private String columnType(TableName table, String column) throws SQLException {
        String sql = "SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                + "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname = ? AND a.attname = ?";
        try (PreparedStatement ps = catalog.connection().prepareStatement(sql)) {
            ps.setString(1, table.schema());
            ps.setString(2, table.name());
            ps.setString(3, column);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }
}
