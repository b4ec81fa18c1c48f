package io.tviewd.connectors.postgres.plan;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import io.tviewd.connectors.TableName;

/**
 * The catalog facts {@link Lineage} needs while it reads a query tree: relations by oid, column names by number,
 * stored view queries, which operators are equalities, what a function is. Cached for the life of one planning run.
 */
public final class QueryCatalog {

    /** A relation: its name, {@code relkind} and column names by attribute number. */
    public record Relation(long oid, TableName name, char kind, Map<Integer, String> columns, Map<String, String> types) {
    }

    /** A function as far as the lineage cares. */
    public record Function(String schema, String name, char volatility, int arguments, String language) {

        private static final Set<String> TIME_OR_SESSION = Set.of("now", "transaction_timestamp", "statement_timestamp",
                "current_setting", "pg_postmaster_start_time", "pg_conf_load_time", "inet_client_addr", "inet_client_port",
                "pg_backend_pid", "timeofday", "clock_timestamp");

        public String signature() {
            return schema + "." + name + "()";
        }

        /** Why a view calling this cannot be proven fresh, or null. */
        public String problem() {
            boolean builtIn = schema.equals("pg_catalog") || schema.equals("information_schema");
            if (builtIn && (TIME_OR_SESSION.contains(name) || name.startsWith("pg_stat_") || (name.equals("age") && arguments == 1))) {
                return "its result changes with time or session, not with any row";
            }
            if (volatility == 'v') {
                return "it is VOLATILE, so its result can change without any row changing";
            }
            if (!builtIn && volatility != 'i' && !language.equals("internal") && !language.equals("c")) {
                return "a " + language + " function may read tables the query tree does not show (mark it IMMUTABLE if it"
                        + " reads none, or inline its query into the view)";
            }
            return null;
        }
    }

    private final Connection connection;
    private final Map<Long, Relation> byOid = new HashMap<>();
    private final Map<TableName, Relation> byName = new HashMap<>();
    private final Map<Long, Boolean> equality = new HashMap<>();
    private final Map<Long, Function> functions = new HashMap<>();

    public QueryCatalog(Connection connection) {
        this.connection = connection;
    }

    public Relation relation(long oid) throws SQLException {
        Relation r = byOid.get(oid);
        if (r == null) {
            r = load("c.oid = ?", ps -> ps.setLong(1, oid));
        }
        return r;
    }

    public Relation relation(TableName name) throws SQLException {
        Relation r = byName.get(name);
        if (r == null) {
            r = load("n.nspname = ? AND c.relname = ?", ps -> {
                ps.setString(1, name.schema());
                ps.setString(2, name.name());
            });
        }
        return r;
    }

    /** The name of column {@code attno} of a relation already loaded, or null (a dropped column). */
    public String columnName(TableName table, int attno) {
        Relation r = byName.get(table);
        return r == null ? null : r.columns().get(attno);
    }

    /** SQL type ({@code format_type}) of a column of a relation already loaded. */
    public String columnType(TableName table, String column) {
        Relation r = byName.get(table);
        return r == null ? null : r.types().get(column);
    }

    public String viewQuery(long oid) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT ev_action::text FROM pg_rewrite WHERE ev_class = ? AND rulename = '_RETURN'")) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException("no stored query for view oid " + oid);
                }
                return rs.getString(1);
            }
        }
    }

    public boolean isEquality(long opno) throws SQLException {
        Boolean b = equality.get(opno);
        if (b == null) {
            try (PreparedStatement ps = connection.prepareStatement("SELECT oprname = '=' FROM pg_operator WHERE oid = ?")) {
                ps.setLong(1, opno);
                try (ResultSet rs = ps.executeQuery()) {
                    b = rs.next() && rs.getBoolean(1);
                }
            }
            equality.put(opno, b);
        }
        return b;
    }

    public Function function(long oid) throws SQLException {
        Function f = functions.get(oid);
        if (f == null) {
            String sql = "SELECT n.nspname, p.proname, p.provolatile, p.pronargs, l.lanname FROM pg_proc p "
                    + "JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang WHERE p.oid = ?";
            try (PreparedStatement ps = connection.prepareStatement(sql)) {
                ps.setLong(1, oid);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw new SQLException("no function with oid " + oid);
                    }
                    f = new Function(rs.getString(1), rs.getString(2), rs.getString(3).charAt(0), rs.getInt(4), rs.getString(5));
                }
            }
            functions.put(oid, f);
        }
        return f;
    }

    private interface Binder {
        void bind(PreparedStatement ps) throws SQLException;
    }

    private Relation load(String where, Binder binder) throws SQLException {
        String sql = "SELECT c.oid, n.nspname, c.relname, c.relkind, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod) "
                + "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                + "LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped WHERE " + where;
        Relation r = null;
        Map<Integer, String> columns = new HashMap<>();
        Map<String, String> types = new HashMap<>();
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            binder.bind(ps);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (r == null) {
                        r = new Relation(rs.getLong(1), new TableName(rs.getString(2), rs.getString(3)), rs.getString(4).charAt(0),
                                columns, types);
                    }
                    if (rs.getString(6) != null) {
                        columns.put(rs.getInt(5), rs.getString(6));
                        types.put(rs.getString(6), rs.getString(7));
                    }
                }
            }
        }
        if (r == null) {
            throw new SQLException("relation not found (" + where + ")");
        }
        Relation out = new Relation(r.oid(), r.name(), r.kind(), Map.copyOf(columns), Map.copyOf(types));
        byOid.put(out.oid(), out);
        byName.put(out.name(), out);
        return out;
    }
}
