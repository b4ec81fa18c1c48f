package io.tviewd.connectors.postgres.catalog;

import java.util.List;

import io.tviewd.connectors.TableName;

/**
 * A table a tview's source view reads (directly or through nested views).
 *
 * @param name the table
 * @param primaryKey its primary-key columns (may be empty)
 * @param columns all its columns
 * @param replicaIdentity {@code d} default, {@code f} full, {@code i} index, {@code n} nothing
 */
public record BaseTable(TableName name, List<String> primaryKey, List<String> columns, char replicaIdentity) {

    public BaseTable {
        primaryKey = List.copyOf(primaryKey);
        columns = List.copyOf(columns);
    }

    public boolean hasColumn(String column) {
        return columns.contains(column);
    }

    /** Human form of the replica identity, as {@code check} and errors print it. */
    public String replicaIdentityName() {
        return switch (replicaIdentity) {
            case 'f' -> "FULL";
            case 'i' -> "INDEX";
            case 'n' -> "NOTHING";
            default -> "DEFAULT";
        };
    }
}
