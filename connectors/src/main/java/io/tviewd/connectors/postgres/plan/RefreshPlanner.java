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
            for (KeyMapping m : rootMappings(t, root, r.column())) {
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
                KeyMapping.Path p = toPath(c, bases);
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
        checkReplicaIdentity(t, mappings, warnings);
        Level level = level(t, report, mappings, unmapped, explicitTables, bases);
        return new RefreshPlan(t, mappings, unmapped, warnings, readColumns(t, closure, mappings), report, level.tviews(),
                level.bases(), level.complete());
    }

    /**
     * The source view seen one level deep (see {@link #level}): how changed rows of the tviews it reads map, how the base
     * tables it reads itself map, and whether the two cover every use.
     */
    private record Level(Map<TableName, List<KeyMapping>> tviews, Map<TableName, List<KeyMapping>> bases, boolean complete) {
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
    private Level level(Tview t, List<String> report, Map<TableName, List<KeyMapping>> mappings, Set<TableName> unmapped,
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
            if (table != null && (explicitTables.contains(table) || unmapped.contains(table)
                    || mappings.getOrDefault(table, List.of()).stream().anyMatch(m -> m instanceof KeyMapping.FullRefresh))) {
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
                rootMappings(t, bases.get(table), r.column()).forEach(m -> addOnce(own, table, m));
            }
        }
        for (Map.Entry<Lineage.Use, List<Lineage.Chain>> e : lineage.chains().entrySet()) {
            TableName table = e.getKey().table();
            for (Lineage.Chain c : e.getValue()) {
                KeyMapping.Path p = toPath(c, tviews.contains(table) ? Map.of() : bases);
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
            if (explicitTables.contains(table) || unmapped.contains(table)
                    || mappings.getOrDefault(table, List.of()).stream().anyMatch(m -> m instanceof KeyMapping.FullRefresh)) {
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
            KeyMapping missed = identityMisses(bases.get(e.getKey()), e.getValue());
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

    private static void addOnce(Map<TableName, List<KeyMapping>> into, TableName table, KeyMapping m) {
        List<KeyMapping> list = into.computeIfAbsent(table, k -> new ArrayList<>());
        if (!list.contains(m)) {
            list.add(m);
        }
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

    private KeyMapping.Path toPath(Lineage.Chain c, Map<TableName, BaseTable> bases) {
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

    private static List<KeyMapping> rootMappings(Tview t, BaseTable root, String keyColumn) {
        List<KeyMapping> out = new ArrayList<>();
        out.add(new KeyMapping.Direct(root.name(), keyColumn));
        for (String pk : root.primaryKey()) {
            if (!pk.equals(keyColumn) && t.columns().contains(pk)) {
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

    /**
     * Old images must carry every column a mapping reads from them (deletes and moves map through the old image): what
     * the identity really carries — primary key, the {@code USING INDEX} columns, or all columns with FULL. A table no
     * identity covers at all would make writers' UPDATE and DELETE fail once published: always refused.
     */
    private void checkReplicaIdentity(Tview t, Map<TableName, List<KeyMapping>> mappings, List<String> warnings) {
        for (BaseTable b : t.baseTables()) {
            if (b.breaksWritersWhenPublished()) {
                throw new CatalogException("Tview " + t.table() + ": base table " + b.name() + " has REPLICA IDENTITY "
                        + b.replicaIdentityName() + (b.primaryKey().isEmpty() ? " and no primary key" : "")
                        + ": once it is published, every UPDATE and DELETE on it would fail for its writers. Run "
                        + b.fullIdentityStatements() + " (or add a primary key)");
            }
            KeyMapping m = identityMisses(b, mappings.getOrDefault(b.name(), List.of()));
            if (m != null) {
                List<String> identity = b.identityColumns();
                String problem = "Tview " + t.table() + ": mapping " + m.kind() + " reads " + b.name() + "." + m.rowColumn()
                        + " from the old row image, but " + b.name() + " has REPLICA IDENTITY " + b.replicaIdentityName()
                        + " (old images carry only " + identity + "), so deletes and moves to another parent would be missed:"
                        + " run " + b.fullIdentityStatements();
                if (config.enforceReplicaIdentity()) {
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
    private static KeyMapping identityMisses(BaseTable b, List<KeyMapping> ms) {
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
