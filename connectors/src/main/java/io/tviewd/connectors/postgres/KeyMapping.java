package io.tviewd.connectors.postgres;

import io.tviewd.connectors.TableName;

/**
 * How a changed row of one base table maps to keys of one tview. One step of a {@link RefreshPlan};
 * every refresh driver (CDC today) uses the same mappings.
 */
public sealed interface KeyMapping {

    /** The base table whose changes this mapping translates. */
    TableName baseTable();

    /** The column of the changed row whose value feeds the mapping. */
    String rowColumn();

    /** Short kind name shown by the API and {@code check}: {@code root}, {@code lineage}, {@code child}, {@code parent}. */
    String kind();

    /**
     * The changed row carries the tview key itself (the root table: {@code tb_post.id} → {@code tv_post.id}).
     */
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
     * Keys are looked up through the root table by a foreign key: a child row's FK points at the root
     * ({@code tb_comment.fk_post} → {@code tb_post.pk_post}), or the root row's FK points at the changed
     * parent ({@code tb_post.fk_author} → {@code tb_user.pk_user}).
     *
     * @param root the tview's root table
     * @param rootColumn the root column compared with the changed row's value
     * @param columnType SQL type of that column
     * @param rootKeyColumn the root column holding the tview key
     * @param child true when the changed table references the root, false when the root references it
     */
    record ForeignKey(TableName baseTable, String rowColumn, TableName root, String rootColumn, String columnType,
                      String rootKeyColumn, boolean child) implements KeyMapping {
        @Override
        public String kind() {
            return child ? "child" : "parent";
        }
    }
}
