package io.tviewd.connectors.postgres.plan;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import io.tviewd.connectors.TableName;
import io.tviewd.connectors.postgres.catalog.BaseTable;
import io.tviewd.connectors.postgres.catalog.Tview;

/**
 * A digest of everything one tview's rows and refresh depend on: its plan (columns, keys, mappings, lineage) and the
 * definitions of every relation and function its source view reads, through nested views (relation kind, replica
 * identity, columns and types, view text, function volatility and body). Equal fingerprints mean the tview's rows
 * and plan are what they were; a different one means the rows may be stale and must be reconciled. Stable across
 * runs (no hash-order dependence), so it can be stored and compared at the next start.
 */
public final class PlanFingerprint {

    private static final String CLOSURE = "WITH RECURSIVE deps(oid) AS ("
            + "  SELECT CAST(? AS regclass)::oid"
            + "  UNION SELECT d.refobjid FROM deps JOIN pg_rewrite r ON r.ev_class = deps.oid"
            + "  JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid"
            + "   AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> deps.oid) "
            + "SELECT coalesce(string_agg(x, E'\\n' ORDER BY x), '') FROM ("
            + "  SELECT c.oid::regclass::text || ' ' || c.relkind::text || ' ' || c.relreplident::text || ' ' || c.relispartition || ' ' "
            + "    || coalesce((SELECT string_agg(a.attname || ':' || format_type(a.atttypid, a.atttypmod) || ':' || a.attnotnull, ',' "
            + "       ORDER BY a.attnum) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '') || ' ' "
            + "    || coalesce(CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END, '') AS x"
            + "  FROM deps JOIN pg_class c ON c.oid = deps.oid"
            + "  UNION ALL SELECT p.oid::regprocedure::text || ' ' || p.provolatile::text || ' ' || md5(p.prosrc)"
            + "  FROM deps JOIN pg_rewrite r ON r.ev_class = deps.oid"
            + "  JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid AND d.refclassid = 'pg_proc'::regclass"
            + "  JOIN pg_proc p ON p.oid = d.refobjid"
            + ") s";

    private PlanFingerprint() {
    }

    public static String of(Connection c, RefreshPlan plan) throws SQLException {
        String definitions;
        try (PreparedStatement ps = c.prepareStatement(CLOSURE)) {
            ps.setString(1, plan.tview().sourceView().quoted());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                definitions = rs.getString(1);
            }
        }
        return sha256(canonical(plan) + "\n" + definitions);
    }

    /** The plan as text in a fixed order. */
    static String canonical(RefreshPlan plan) {
        Tview t = plan.tview();
        StringBuilder sb = new StringBuilder();
        sb.append(t.table()).append(' ').append(t.sourceView()).append(' ').append(t.keyColumn()).append(' ').append(t.keyType())
                .append(' ').append(t.columns()).append(' ').append(new TreeMap<>(t.columnTypes())).append(' ').append(t.touchColumns())
                .append(' ').append(t.dependsOn()).append('\n');
        t.baseTables().stream().map(BaseTable::toString).sorted().forEach(b -> sb.append(b).append('\n'));
        Map<String, List<KeyMapping>> mappings = new TreeMap<>();
        plan.mappings().forEach((table, list) -> mappings.put(table.toString(), list));
        sb.append(mappings).append('\n');
        sb.append(new TreeSet<>(plan.unmapped().stream().map(TableName::toString).toList())).append('\n');
        Map<String, TreeSet<String>> read = new TreeMap<>();
        plan.readColumns().forEach((table, cols) -> read.put(table.toString(), new TreeSet<>(cols)));
        sb.append(read).append('\n').append(plan.lineage()).append('\n').append(plan.warnings());
        if (plan.mapsTviewRows()) {
            Map<String, List<KeyMapping>> inner = new TreeMap<>();
            plan.tviewMappings().forEach((table, list) -> inner.put(table.toString(), list));
            sb.append('\n').append(inner);
            Map<String, List<KeyMapping>> level = new TreeMap<>();
            plan.levelMappings().forEach((table, list) -> level.put(table.toString(), list));
            sb.append('\n').append(plan.byLevel()).append(' ').append(level);
        }
        return sb.toString();
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
