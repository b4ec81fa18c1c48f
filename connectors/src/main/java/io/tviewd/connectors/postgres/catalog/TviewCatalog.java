package io.tviewd.connectors.postgres.catalog;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import io.tviewd.config.DiscoveryConfig;
import io.tviewd.config.TviewDeclaration;
import io.tviewd.connectors.TableName;

/**
 * Reads tviews and their refresh plans from the PostgreSQL catalog: convention discovery
 * ({@code tv_x}/{@code v_x}, {@code ta_x}/{@code va_x}) plus declared tviews, each tview's key,
 * copied columns, base tables (through nested views) and key mappings derived from foreign keys.
 */
public final class TviewCatalog {

    private static final Set<String> TOUCH_COLUMNS = Set.of("updated_at", "source_updated_at");

    private final Connection connection;
    private final Map<TableName, ViewClosure> closures = new LinkedHashMap<>();
    private final Map<TableName, TableName> sources = new LinkedHashMap<>();

    public TviewCatalog(Connection connection) {
        this.connection = connection;
    }

    /** Tviews found, and tviews refused with the reason (a refused tview is never refreshed). */
    public record Discovery(List<Tview> tviews, Map<String, String> refused) {
    }

    /** The roles whose pairs discovery adopts: {@code discovery.owners}, or the daemon's role and the database owner. */
    private java.util.Set<String> adoptedOwners(DiscoveryConfig discovery) throws SQLException {
        if (!discovery.owners().isEmpty()) {
            return java.util.Set.copyOf(discovery.owners());
        }
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT current_user, pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return new java.util.HashSet<>(List.of(rs.getString(1), rs.getString(2)));
        }
    }

    /** Finds every tview by convention (when enabled) and declaration; declarations win over convention. */
    public Discovery discover(DiscoveryConfig discovery, List<TviewDeclaration> declared) throws SQLException {
        Map<TableName, TableName> sources = new LinkedHashMap<>();
        Map<TableName, Optional<String>> keys = new LinkedHashMap<>();
        Map<String, String> refused = new LinkedHashMap<>();
        String defaultSchema = discovery.schemas().get(0);
        if (discovery.convention()) {
            java.util.Set<String> owners = adoptedOwners(discovery);
            String sql = "SELECT n.nspname, c.relname, (SELECT quote_ident(vn.nspname) || '.' || quote_ident(v.relname) FROM pg_class v "
                    + "JOIN pg_namespace vn ON vn.oid = v.relnamespace WHERE vn.nspname = n.nspname AND v.relkind IN ('v','m') "
                    + "AND v.relname = CASE WHEN c.relname LIKE 'tv\\_%' THEN 'v_' ELSE 'va_' END || substr(c.relname, 4)), "
                    + "pg_get_userbyid(c.relowner), (SELECT pg_get_userbyid(v.relowner) FROM pg_class v "
                    + "JOIN pg_namespace vn ON vn.oid = v.relnamespace WHERE vn.nspname = n.nspname AND v.relkind IN ('v','m') "
                    + "AND v.relname = CASE WHEN c.relname LIKE 'tv\\_%' THEN 'v_' ELSE 'va_' END || substr(c.relname, 4)) "
                    + "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    + "WHERE c.relkind IN ('r','p') AND n.nspname = ANY(?) AND (c.relname LIKE 'tv\\_%' OR c.relname LIKE 'ta\\_%') "
                    + "ORDER BY 1, 2";
            try (PreparedStatement ps = connection.prepareStatement(sql)) {
                ps.setArray(1, connection.createArrayOf("text", discovery.schemas().toArray()));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        if (rs.getString(3) != null && !(owners.contains(rs.getString(4)) && owners.contains(rs.getString(5)))) {
                            TableName t = new TableName(rs.getString(1), rs.getString(2));
                            refused.put(t.toString(), "Tview " + t + " (owned by " + rs.getString(4) + ") and its view " + rs.getString(3)
                                    + " (owned by " + rs.getString(5) + ") are not both owned by a role in discovery.owners "
                                    + owners.stream().sorted().toList() + ": its view and triggers would run with the daemon's rights. "
                                    + "Add the owner to discovery.owners (TVIEWD_DISCOVERY_OWNERS) or declare the tview under `tviews`");
                        } else if (rs.getString(3) != null) {
                            TableName t = new TableName(rs.getString(1), rs.getString(2));
                            sources.put(t, TableName.parse(rs.getString(3), defaultSchema));
                            keys.put(t, Optional.empty());
                        }
                    }
                }
            }
        }
        for (TviewDeclaration d : declared) {
            TableName t = TableName.parse(d.table(), defaultSchema);
            if (d.sourceView().isPresent()) {
                sources.put(t, TableName.parse(d.sourceView().get(), defaultSchema));
            } else if (!sources.containsKey(t)) {
                refused.put(t.toString(), "Tview " + t + " is declared under `tviews` without `source-view` and has no "
                        + "v_/va_ view by convention: add source-view");
                continue;
            }
            keys.put(t, d.key());
        }
        List<Tview> found = new ArrayList<>();
        for (Map.Entry<TableName, TableName> e : sources.entrySet()) {
            try {
                found.add(read(e.getKey(), e.getValue(), keys.get(e.getKey()), sources));
            } catch (CatalogException ex) {
                refused.put(e.getKey().toString(), ex.getMessage());
            }
        }
        this.sources.clear();
        this.sources.putAll(sources);
        return new Discovery(found, refused);
    }

    /** The view's definition as {@code pg_get_viewdef} prints it. */
    public String viewDefinition(TableName view) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT pg_get_viewdef(CAST(? AS regclass), true)")) {
            ps.setString(1, view.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : "";
            }
        }
    }

    /** Every tview candidate of the last {@link #discover} (refused ones included), with its source view. */
    public Map<TableName, TableName> tviewSources() {
        return Map.copyOf(sources);
    }

    private Tview read(TableName table, TableName view, Optional<String> declaredKey, Map<TableName, TableName> tviewSources)
            throws SQLException {
        Map<String, String> tableCols = columns(table, true);
        if (tableCols.isEmpty()) {
            throw new CatalogException("Tview " + table + " does not exist (or has no columns)");
        }
        Map<String, String> viewCols = columns(view, false);
        if (viewCols.isEmpty()) {
            throw new CatalogException("Source view " + view + " of tview " + table + " does not exist (or has no columns)");
        }
        String key = declaredKey.orElseGet(() -> primaryKey(table));
        if (key == null) {
            throw new CatalogException("Tview " + table + " has no single-column primary key: add one (uuid id or bigint pk_"
                    + table.entity() + ") or declare `key` for it under `tviews`");
        }
        if (!tableCols.containsKey(key)) {
            throw new CatalogException("Key column '" + key + "' of tview " + table + " does not exist in the table");
        }
        if (!viewCols.containsKey(key)) {
            throw new CatalogException("Key column '" + key + "' of tview " + table + " is not returned by its source view " + view);
        }
        if (!hasUniqueIndex(table, key)) {
            throw new CatalogException("Key column '" + key + "' of tview " + table
                    + " has no unique index: refresh upserts ON CONFLICT (" + key + "), which needs one");
        }
        List<String> copied = new ArrayList<>();
        Map<String, String> types = new LinkedHashMap<>();
        List<String> touch = new ArrayList<>();
        for (String c : tableCols.keySet()) {
            if (viewCols.containsKey(c)) {
                copied.add(c);
                types.put(c, tableCols.get(c));
            } else if (TOUCH_COLUMNS.contains(c)) {
                touch.add(c);
            }
        }
        ViewClosure closure = ViewClosure.of(connection, view, tviewSources);
        if (closure.dependsOn().contains(table)) {
            throw new CatalogException("Tview dependency cycle: " + table + " reads itself through its source view " + view
                    + " (tviews on the cycle: " + closure.dependsOn() + ")");
        }
        List<BaseTable> bases = new ArrayList<>();
        for (TableName base : closure.baseTables()) {
            bases.add(baseTable(base));
        }
        closures.put(table, closure);
        return new Tview(table, view, key, tableCols.get(key), copied, types, touch, bases, closure.dependsOn());
    }

    /** What the source view of a discovered tview reads (through nested views and other tviews). */
    public ViewClosure closure(TableName tview) {
        return closures.get(tview);
    }

    /** The connection this catalog reads with (planning reads further catalog rows through it). */
    public Connection connection() {
        return connection;
    }

    /**
     * The root table: {@code tb_<entity>} when the view reads it; else the only base table holding the
     * key column; else, among several, the one that contains the keys of a sample of the view's rows.
     */
    public Optional<BaseTable> root(Tview t) throws SQLException {
        String entity = t.table().entity();
        for (BaseTable b : t.baseTables()) {
            if (b.name().name().equals("tb_" + entity)) {
                return Optional.of(b);
            }
        }
        List<BaseTable> candidates = t.baseTables().stream().filter(b -> b.hasColumn(t.keyColumn())).toList();
        if (candidates.size() <= 1) {
            return candidates.stream().findFirst();
        }
        String key = TableName.quote(t.keyColumn());
        for (BaseTable b : candidates) {
            String sql = "SELECT count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM " + b.name().quoted() + " r WHERE r." + key
                    + " = v." + key + ")), count(*) FROM (SELECT " + key + " FROM " + t.sourceView().quoted() + " LIMIT 50) v";
            try (PreparedStatement ps = connection.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getLong(2) > 0 && rs.getLong(1) == 0) {
                    return Optional.of(b);
                }
            }
        }
        return candidates.stream().findFirst();
    }

    private Map<String, String> columns(TableName rel, boolean skipGenerated) throws SQLException {
        String sql = "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attgenerated FROM pg_attribute a "
                + "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
                + "WHERE n.nspname = ? AND c.relname = ? AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum";
        Map<String, String> out = new LinkedHashMap<>();
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setString(1, rel.schema());
            ps.setString(2, rel.name());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String generated = rs.getString(3);
                    if (skipGenerated && generated != null && !generated.isEmpty()) {
                        continue;
                    }
                    out.put(rs.getString(1), rs.getString(2));
                }
            }
        }
        return out;
    }

    private String primaryKey(TableName table) {
        try {
            List<String> pk = primaryKeyColumns(table);
            return pk.size() == 1 ? pk.get(0) : null;
        } catch (SQLException e) {
            throw new CatalogException("Cannot read the primary key of " + table + ": " + e.getMessage());
        }
    }

    private List<String> primaryKeyColumns(TableName table) throws SQLException {
        String sql = "SELECT a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
                + "JOIN pg_namespace n ON n.oid = c.relnamespace "
                + "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
                + "WHERE n.nspname = ? AND c.relname = ? AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)";
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setString(1, table.schema());
            ps.setString(2, table.name());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    private boolean hasUniqueIndex(TableName table, String column) throws SQLException {
        String sql = "SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
                + "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
                + "WHERE n.nspname = ? AND c.relname = ? AND i.indisunique AND i.indnkeyatts = 1 AND i.indpred IS NULL AND a.attname = ?";
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setString(1, table.schema());
            ps.setString(2, table.name());
            ps.setString(3, column);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private BaseTable baseTable(TableName name) throws SQLException {
        char identity = 'd';
        String sql = "SELECT c.relreplident FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                + "WHERE n.nspname = ? AND c.relname = ?";
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setString(1, name.schema());
            ps.setString(2, name.name());
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    identity = rs.getString(1).charAt(0);
                }
            }
        }
        List<String> index = new ArrayList<>();
        if (identity == 'i') {
            String ix = "SELECT a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
                    + "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    + "JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(attnum, ord) ON true "
                    + "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum "
                    + "WHERE n.nspname = ? AND c.relname = ? AND i.indisreplident ORDER BY k.ord";
            try (PreparedStatement ps = connection.prepareStatement(ix)) {
                ps.setString(1, name.schema());
                ps.setString(2, name.name());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        index.add(rs.getString(1));
                    }
                }
            }
        }
        List<String> columns = new ArrayList<>(columns(name, false).keySet());
        List<String> primaryKey = primaryKeyColumns(name);
        List<TableName> leaves = leafPartitions(name);
        if (leaves.isEmpty()) {
            return new BaseTable(name, primaryKey, columns, identity, index);
        }
        // the WAL logs each row's old image with its leaf partition's identity, which is not inherited from the parent
        java.util.Set<Character> kinds = new java.util.HashSet<>();
        List<String> common = null;
        for (TableName leaf : leaves) {
            BaseTable l = baseTable(leaf);
            kinds.add(l.replicaIdentity());
            List<String> carried = l.identityColumns();
            common = common == null ? new ArrayList<>(carried) : new ArrayList<>(common.stream().filter(carried::contains).toList());
        }
        if (kinds.size() == 1 && kinds.contains('f')) {
            return new BaseTable(name, primaryKey, columns, 'f', List.of(), leaves);
        }
        if (kinds.size() == 1 && kinds.contains('d') && common.equals(primaryKey)) {
            return new BaseTable(name, primaryKey, columns, 'd', List.of(), leaves);
        }
        return new BaseTable(name, primaryKey, columns, 'm', common, leaves);
    }

    /** The leaf partitions of a partitioned table (empty for any other relation). */
    private List<TableName> leafPartitions(TableName table) throws SQLException {
        List<TableName> out = new ArrayList<>();
        String sql = "SELECT n.nspname, c.relname FROM pg_partition_tree(CAST(? AS regclass)) t JOIN pg_class c ON c.oid = t.relid "
                + "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE t.isleaf AND t.level > 0 ORDER BY 1, 2";
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setString(1, table.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new TableName(rs.getString(1), rs.getString(2)));
                }
            }
        }
        return out;
    }

    /** A tview the catalog cannot support; the message says what to change. */
    public static final class CatalogException extends RuntimeException {
        public CatalogException(String message) {
            super(message);
        }
    }
}
