package io.tviewd.connectors.postgres.catalog;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * A digest of the user-defined part of the catalog a refresh plan can depend on: relations (kind, replica identity,
 * partition membership), their columns, view definitions, unique and identity indexes, and functions. It changes
 * with any DDL that can change a plan (and with some that cannot); one query of a few milliseconds, so it can be
 * polled. Event triggers would need a superuser; this needs nothing.
 */
public final class CatalogVersion {

    private static final String USER_RELATIONS = "SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            + "WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
            + "AND n.nspname !~ '^pg_(toast|temp)'";

    private static final String QUERY = "WITH rel AS (" + USER_RELATIONS + ") "
            + "SELECT md5(coalesce(string_agg(x, E'\\n' ORDER BY x), '')) FROM ("
            + "SELECT 'c ' || c.oid || ' ' || c.relnamespace || ' ' || c.relname || ' ' || c.relkind::text || ' ' || c.relreplident::text "
            + "       || ' ' || c.relispartition AS x FROM pg_class c JOIN rel ON rel.oid = c.oid "
            + "UNION ALL SELECT 'a ' || a.attrelid || ' ' || a.attnum || ' ' || a.attname || ' ' || a.atttypid || ' ' || a.atttypmod "
            + "       || ' ' || a.attisdropped || ' ' || a.attnotnull FROM pg_attribute a JOIN rel ON rel.oid = a.attrelid WHERE a.attnum > 0 "
            + "UNION ALL SELECT 'r ' || r.ev_class || ' ' || md5(r.ev_action::text) FROM pg_rewrite r JOIN rel ON rel.oid = r.ev_class "
            + "UNION ALL SELECT 'i ' || i.indexrelid || ' ' || i.indrelid || ' ' || i.indisprimary || ' ' || i.indisunique || ' ' "
            + "       || i.indisreplident || ' ' || i.indkey::text FROM pg_index i JOIN rel ON rel.oid = i.indrelid "
            + "UNION ALL SELECT 'p ' || p.oid || ' ' || p.provolatile::text || ' ' || md5(p.prosrc) FROM pg_proc p "
            + "       JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')"
            + ") s";

    private CatalogVersion() {
    }

    public static String read(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(QUERY); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getString(1);
        }
    }
}
