package io.tviewd.connectors.postgres.plan;

import java.util.List;
import java.util.stream.Collectors;

import io.tviewd.connectors.TableName;

/**
 * How a changed row of one base table maps to keys of one tview. One step of a {@link RefreshPlan};
 * every refresh driver uses the same mappings.
 */
public sealed interface KeyMapping {

    /** The base table whose changes this mapping translates. */
    TableName baseTable();

    /** The column of the changed row whose value feeds the mapping (null for {@link FullRefresh}). */
    String rowColumn();

    /**
     * Short kind name shown by the API, metrics and {@code check}: {@code root}, {@code lineage},
     * {@code child}, {@code parent}, {@code multi-hop}, {@code explicit}, {@code full_refresh}.
     */
    String kind();

    /** The changed row carries the tview key itself (the root table: {@code tb_post.id} → {@code tv_post.id}). */
    record Direct(TableName baseTable, String rowColumn) implements KeyMapping {
        @Override
        public String kind() {
            return "root";
        }
    }

    /**
     * The changed row's value is found in a lineage column of the tview itself
     * ({@code tb_post.pk_post} → {@code tv_post.pk_post} → {@code tv_post.id}); works for deletes whose
     * old image carries only the primary key.
     */
    record Lineage(TableName baseTable, String rowColumn, String tviewColumn, String columnType) implements KeyMapping {
        @Override
        public String kind() {
            return "lineage";
        }
    }

    /**
     * One table on a foreign-key path from the changed table to the root table.
     *
     * @param table the table joined at this step
     * @param entryColumn its column matched with the previous step (or with the changed row's value)
     * @param exitColumn its column matched with the next step; null at the root
     * @param entryType SQL type of {@code entryColumn} (null when not known)
     * @param exitType SQL type of {@code exitColumn} (null when not known or at the root)
     */
    record Hop(TableName table, String entryColumn, String exitColumn, String entryType, String exitType) {
        public Hop(TableName table, String entryColumn, String exitColumn) {
            this(table, entryColumn, exitColumn, null, null);
        }

        /** Without the types: they follow from the catalog, which plan fingerprints cover on their own. */
        @Override
        public String toString() {
            return "Hop[table=" + table + ", entryColumn=" + entryColumn + ", exitColumn=" + exitColumn + "]";
        }
    }

    /**
     * Keys are looked up along a path of single-column foreign keys from the changed table to the root
     * table: one hop for children ({@code tb_comment.fk_post → tb_post}) and parents
     * ({@code tb_post.fk_author → tb_user}, role-named FKs included), several for multi-hop paths and
     * junction tables ({@code tb_tag ← tb_post_tag.fk_tag, tb_post_tag.fk_post → tb_post}).
     *
     * @param columnType SQL type of {@code rowColumn}
     * @param hops the joined tables, the last one being the root
     * @param rootKeyColumn the root column holding the tview key
     * @param kind {@code child}, {@code parent} or {@code multi-hop}
     */
    record Path(TableName baseTable, String rowColumn, String columnType, List<Hop> hops, String rootKeyColumn, String kind)
            implements KeyMapping {
        public Path {
            hops = List.copyOf(hops);
        }

        /** Human form: {@code tb_comment.fk_post → tb_post.pk_post}. */
        public String describe() {
            StringBuilder sb = new StringBuilder(baseTable.name()).append('.').append(rowColumn);
            for (Hop h : hops) {
                sb.append(" → ").append(h.table().name()).append('.').append(h.entryColumn());
                if (h.exitColumn() != null) {
                    sb.append(" / ").append(h.exitColumn());
                }
            }
            return sb.toString();
        }
    }

    /** A mapping declared in config: {@code sql} returns tview keys, {@code :values} is the changed values. */
    record Explicit(TableName baseTable, String rowColumn, String columnType, String sql) implements KeyMapping {
        @Override
        public String kind() {
            return "explicit";
        }
    }

    /** No key mapping: a change to the table refreshes the whole tview (policy {@code full_refresh}). */
    record FullRefresh(TableName baseTable) implements KeyMapping {
        @Override
        public String rowColumn() {
            return null;
        }

        @Override
        public String kind() {
            return "full_refresh";
        }
    }

    /** Renders mappings for logs. */
    static String describe(List<KeyMapping> mappings) {
        return mappings.stream().map(KeyMapping::kind).collect(Collectors.joining(", "));
    }
}
