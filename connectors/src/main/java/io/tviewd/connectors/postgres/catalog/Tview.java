package io.tviewd.connectors.postgres.catalog;

import java.util.List;

import io.tviewd.connectors.TableName;

/**
 * A table-backed view this daemon maintains, as read from the catalog.
 *
 * @param table the tv_/ta_ table
 * @param sourceView the v_/va_ view it copies
 * @param keyColumn its single-column key (primary key or declared unique column)
 * @param keyType SQL type of the key ({@code uuid}, {@code bigint}, …)
 * @param columns columns copied from the source view, key included, in table order
 * @param columnTypes SQL type of every copied column
 * @param touchColumns {@code updated_at} / {@code source_updated_at} columns the view does not supply:
 *                     set to {@code now()} whenever the row's content changes
 * @param baseTables tables the source view reads (through nested views), excluding other tviews
 * @param dependsOn other tviews the source view reads (nested tviews)
 */
public record Tview(
        TableName table,
        TableName sourceView,
        String keyColumn,
        String keyType,
        List<String> columns,
        java.util.Map<String, String> columnTypes,
        List<String> touchColumns,
        List<BaseTable> baseTables,
        List<TableName> dependsOn) {

    public Tview {
        columns = List.copyOf(columns);
        columnTypes = java.util.Map.copyOf(columnTypes);
        touchColumns = List.copyOf(touchColumns);
        baseTables = List.copyOf(baseTables);
        dependsOn = List.copyOf(dependsOn);
    }

    /** The tview's name as used in the API, metrics and the CLI: the table name without schema when it is public. */
    public String name() {
        return table.schema().equals("public") ? table.name() : table.toString();
    }

    /** Columns compared when deciding whether a row changed: every copied column except the key. */
    /**
     * SQL expression comparing a column with equality semantics: {@code json} has no equality
     * operator, so it is compared as text.
     */
    public String comparable(String column, String prefix) {
        String expr = prefix + TableName.quote(column);
        return "json".equals(columnTypes.get(column)) ? expr + "::text" : expr;
    }

    public List<String> valueColumns() {
        return columns.stream().filter(c -> !c.equals(keyColumn)).toList();
    }
}
