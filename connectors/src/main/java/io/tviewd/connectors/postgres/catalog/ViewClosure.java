package io.tviewd.connectors.postgres.catalog;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import io.tviewd.connectors.TableName;

/**
 * Everything a source view reads, from {@code pg_rewrite}/{@code pg_depend}: nested views are
 * followed, and so are other tviews it reads (through their own source views), so that a change to
 * any base table underneath maps to the reading tview too.
 *
 * @param baseTables plain tables read, directly or underneath (other tviews excluded)
 * @param dependsOn tviews read, directly or underneath (refreshed first)
 * @param referencedColumns per base table, the columns some view in the closure references
 * @param references per base table, how many times the views in the closure read it (range table entries)
 * @param wholeRowTables base tables a view in the closure may read as a whole row or through system columns
 *        ({@code to_jsonb(t)}, {@code t.xmin}): every column counts as read
 */
public record ViewClosure(List<TableName> baseTables, List<TableName> dependsOn, Map<TableName, Set<String>> referencedColumns,
                          Map<TableName, Integer> references, Set<TableName> wholeRowTables) {

    /**
     * True when the view's stored query tree holds a whole-row or system-column reference ({@code :varattno 0} or a
     * negative attno): pg_depend then names no column for it, so every column of the tables it reads counts as read.
     */
    private static final String WHOLE_ROW = "SELECT coalesce(bool_or(r.ev_action::text ~ ':varattno (0|-[0-9]+) '), false) "
            + "FROM pg_class v JOIN pg_namespace vn ON vn.oid = v.relnamespace JOIN pg_rewrite r ON r.ev_class = v.oid "
            + "WHERE vn.nspname = ? AND v.relname = ?";

    private static final String DEPENDENCIES = "SELECT DISTINCT n.nspname, c.relname, c.relkind, a.attname "
            + "FROM pg_class v JOIN pg_namespace vn ON vn.oid = v.relnamespace "
            + "JOIN pg_rewrite r ON r.ev_class = v.oid "
            + "JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid "
            + "AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> v.oid "
            + "JOIN pg_class c ON c.oid = d.refobjid JOIN pg_namespace n ON n.oid = c.relnamespace "
            + "LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid AND d.refobjsubid > 0 "
            + "WHERE vn.nspname = ? AND v.relname = ?";

    /** Relations a view's rules read, one row per range table entry (the stored rule's node tree). */
    private static final String RANGE_TABLE = "SELECT n.nspname, c.relname, count(*) FROM pg_class v "
            + "JOIN pg_namespace vn ON vn.oid = v.relnamespace JOIN pg_rewrite r ON r.ev_class = v.oid "
            + "CROSS JOIN LATERAL regexp_matches(r.ev_action::text, ':rtekind 0 :relid (\\d+)', 'g') m "
            + "JOIN pg_class c ON c.oid = m[1]::oid JOIN pg_namespace n ON n.oid = c.relnamespace "
            + "WHERE vn.nspname = ? AND v.relname = ? GROUP BY 1, 2";

    /** Walks everything {@code view} reads; {@code tviewSources} maps each tview to its source view. */
    public static ViewClosure of(Connection c, TableName view, Map<TableName, TableName> tviewSources) throws SQLException {
        Set<TableName> bases = new TreeSet<>();
        Set<TableName> tviews = new LinkedHashSet<>();
        Map<TableName, Set<String>> columns = new TreeMap<>();
        Map<TableName, Integer> references = new TreeMap<>();
        Set<TableName> wholeRow = new TreeSet<>();
        Deque<TableName> todo = new ArrayDeque<>(List.of(view));
        Set<TableName> seen = new HashSet<>();
        try (PreparedStatement ps = c.prepareStatement(DEPENDENCIES); PreparedStatement rt = c.prepareStatement(RANGE_TABLE);
             PreparedStatement wr = c.prepareStatement(WHOLE_ROW)) {
            while (!todo.isEmpty()) {
                TableName v = todo.pop();
                if (!seen.add(v)) {
                    continue;
                }
                ps.setString(1, v.schema());
                ps.setString(2, v.name());
                rt.setString(1, v.schema());
                rt.setString(2, v.name());
                wr.setString(1, v.schema());
                wr.setString(2, v.name());
                boolean readsWholeRows;
                try (ResultSet rs = wr.executeQuery()) {
                    readsWholeRows = rs.next() && rs.getBoolean(1);
                }
                try (ResultSet rs = rt.executeQuery()) {
                    while (rs.next()) {
                        references.merge(new TableName(rs.getString(1), rs.getString(2)), rs.getInt(3), Integer::sum);
                    }
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        TableName dep = new TableName(rs.getString(1), rs.getString(2));
                        String kind = rs.getString(3);
                        String column = rs.getString(4);
                        if (tviewSources.containsKey(dep)) {
                            tviews.add(dep);
                            todo.push(tviewSources.get(dep));
                        } else if ("v".equals(kind) || "m".equals(kind)) {
                            todo.push(dep);
                        } else if ("r".equals(kind) || "p".equals(kind)) {
                            bases.add(dep);
                            if (readsWholeRows) {
                                wholeRow.add(dep);
                            }
                            Set<String> cols = columns.computeIfAbsent(dep, k -> new TreeSet<>());
                            if (column != null) {
                                cols.add(column);
                            }
                        }
                    }
                }
            }
        }
        return new ViewClosure(new ArrayList<>(bases), new ArrayList<>(tviews), columns, references, wholeRow);
    }
}
