package io.tviewd.connectors.postgres.plan;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
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
 * Derives each tview's {@link RefreshPlan} from its source view's query tree ({@link Lineage}): for every use of
 * every base table, how a changed row maps to tview keys.
 *
 * <ul>
 *   <li>the key's own table: the key itself ({@code root}) and lineage columns of the tview ({@code lineage});</li>
 *   <li>every other use: the equality chain that ties it to the key's row ({@code parent}, {@code child},
 *       {@code sibling}, {@code multi-hop}), whatever the columns (foreign key or not, self-joins, the same table
 *       in several roles, correlated subqueries, each branch of a UNION);</li>
 *   <li>mappings declared in config ({@code explicit}) replace derived ones for their table;</li>
 *   <li>a use no chain proves covered gets the tview's unmapped policy: refuse naming the use (default), full
 *       refresh, or warn. Functions that may read tables or depend on time, materialized views and foreign tables
 *       are refused unless the policy is {@code warn}: no table change would tell when they move on.</li>
 * </ul>
 */
public final class RefreshPlanner {

    private final TviewCatalog catalog;
    private final RefreshConfig config;
    private final Map<TableName, TviewDeclaration> declarations = new LinkedHashMap<>();
    private final String defaultSchema;
    private final QueryCatalog queries;

    public RefreshPlanner(TviewCatalog catalog, RefreshConfig config, List<TviewDeclaration> declared, String defaultSchema) {
        this.catalog = catalog;
        this.config = config;
        this.defaultSchema = defaultSchema;
        this.queries = new QueryCatalog(catalog.connection());
        declared.forEach(d -> declarations.put(TableName.parse(d.table(), defaultSchema), d));
    }

    /**
     * @throws CatalogException when the tview must be refused: a use no chain covers under policy {@code error}, a
     *         bad explicit mapping, or a replica identity that loses old images while {@code refresh.replica-identity}
     *         is {@code enforce}
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
        Lineage.Result lineage;
        try {
            lineage = Lineage.of(queries, t.sourceView(), t.keyColumn(), catalog.tviewSources());
        } catch (RuntimeException e) {
            // a query tree this version cannot read is a refusal of this tview, never a daemon that cannot start
            throw new CatalogException("Tview " + t.table() + ": the query tree of its source view " + t.sourceView()
                    + " could not be analysed, so no change can be proven to map to its keys: " + e.getMessage());
        }
        Map<TableName, BaseTable> bases = new LinkedHashMap<>();
        t.baseTables().forEach(b -> bases.put(b.name(), b));
        List<String> report = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (Lineage.Root r : lineage.roots()) {
            BaseTable root = bases.get(r.use().table());
            if (root == null || explicitTables.contains(root.name())) {
                continue;
            }
            for (KeyMapping m : ChainPaths.rootMappings(t, root, r.column())) {
                if (seen.add(m.toString())) {
                    mappings.computeIfAbsent(root.name(), k -> new ArrayList<>()).add(m);
                }
            }
            report.add(r.use().describe() + ": the key " + t.keyColumn() + " is its column " + r.column());
        }
        for (Map.Entry<Lineage.Use, List<Lineage.Chain>> e : lineage.chains().entrySet()) {
            TableName table = e.getKey().table();
            if (explicitTables.contains(table)) {
                report.add(e.getKey().describe() + ": explicit mapping");
                continue;
            }
            for (Lineage.Chain c : e.getValue()) {
                KeyMapping.Path p = ChainPaths.toPath(queries, c, bases);
                if (seen.add(p.toString())) {
                    mappings.computeIfAbsent(table, k -> new ArrayList<>()).add(p);
                }
                report.add(e.getKey().describe() + ": " + p.kind() + " " + p.describe() + " → key " + c.root().column());
            }
        }
        UnmappedPolicy policy = decl != null && decl.unmapped().isPresent() ? decl.unmapped().get() : config.unmappedPolicy();
        Set<TableName> unmapped = new LinkedHashSet<>();
        List<String> refusals = new ArrayList<>();
        Set<TableName> refusedTables = new LinkedHashSet<>();
        for (Lineage.Problem pr : lineage.problems()) {
            if (pr.use() != null && explicitTables.contains(pr.use().table())) {
                continue;
            }
            String where = pr.use() != null ? pr.use().describe() : pr.what();
            report.add(where + ": NOT COVERED: " + pr.reason());
            if (pr.use() == null) {
                if (policy == UnmappedPolicy.WARN) {
                    warnings.add(where + " is not covered (unmapped: warn): " + pr.reason() + "; the tview can go stale");
                } else {
                    refusals.add(pr.reason());
                }
                continue;
            }
            TableName table = pr.use().table();
            switch (policy) {
                case ERROR -> {
                    refusals.add(pr.use().describe() + ": " + pr.reason() + fragment(pr.use()));
                    refusedTables.add(table);
                }
                case FULL_REFRESH -> mappings.put(table, List.of(new KeyMapping.FullRefresh(table)));
                case WARN -> {
                    unmapped.add(table);
                    warnings.add("changes to " + pr.use().describe() + " are ignored (unmapped: warn): " + pr.reason());
                }
            }
        }
        for (BaseTable b : t.baseTables()) {
            boolean used = lineage.uses().stream().anyMatch(u -> u.table().equals(b.name()));
            if (!used && !explicitTables.contains(b.name())) {
                String reason = b.name() + " is read by the view in a way its query tree does not show as a table use";
                switch (policy) {
                    case ERROR -> {
                        refusals.add(reason);
                        refusedTables.add(b.name());
                    }
                    case FULL_REFRESH -> mappings.put(b.name(), List.of(new KeyMapping.FullRefresh(b.name())));
                    case WARN -> {
                        unmapped.add(b.name());
                        warnings.add(reason + " (unmapped: warn): changes to it are ignored");
                    }
                }
            }
        }
        if (!refusals.isEmpty()) {
            String table = refusedTables.isEmpty() ? "<table>" : refusedTables.iterator().next().toString();
            throw new CatalogException("Tview " + t.table() + " cannot be kept fresh: " + String.join("; ", refusals)
                    + ". Declare a mapping under `tviews` ({table: " + t.table() + ", mappings: [{table: " + table
                    + ", column: <column>, sql: \"SELECT <tview key> FROM ... WHERE ... = ANY(:values)\"}]}), or set `unmapped:"
                    + " full_refresh` (a change to such a table refreshes the whole tview) or `unmapped: warn` for it");
        }
        mappings.values().removeIf(List::isEmpty);
        for (Map.Entry<TableName, List<KeyMapping>> e : mappings.entrySet()) {
            if (e.getValue().stream().anyMatch(m -> m instanceof KeyMapping.FullRefresh)) {
                e.setValue(List.of(new KeyMapping.FullRefresh(e.getKey())));
            }
        }
        ReplicaIdentityCheck.check(t, mappings, warnings, config.enforceReplicaIdentity());
        LevelMappings.Level level = new LevelMappings(queries).of(t, report, mappings, unmapped, explicitTables, bases);
        return new RefreshPlan(t, mappings, unmapped, warnings, readColumns(t, closure, mappings), report, level.tviews(),
                level.bases(), level.complete());
    }


    /** The view text around a use, so an operator sees which part of the view is meant. */
    private String fragment(Lineage.Use u) {
        try {
            String def = catalog.viewDefinition(u.view());
            return ViewText.around(def, u.table().name(), u.alias(), u.context()).map(f -> " [" + f + "]").orElse("");
        } catch (SQLException e) {
            return "";
        }
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
