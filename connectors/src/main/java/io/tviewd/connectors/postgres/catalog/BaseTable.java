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
 * @param identityIndex the columns of the {@code REPLICA IDENTITY USING INDEX} index (empty unless {@code i})
 */
public record BaseTable(TableName name, List<String> primaryKey, List<String> columns, char replicaIdentity,
                        List<String> identityIndex) {

    public BaseTable {
        primaryKey = List.copyOf(primaryKey);
        columns = List.copyOf(columns);
        identityIndex = List.copyOf(identityIndex);
    }

    public BaseTable(TableName name, List<String> primaryKey, List<String> columns, char replicaIdentity) {
        this(name, primaryKey, columns, replicaIdentity, List.of());
    }

    /** The columns an old row image (UPDATE, DELETE) really carries: the primary key, the identity index's, or all. */
    public List<String> identityColumns() {
        return switch (replicaIdentity) {
            case 'f' -> columns;
            case 'i' -> identityIndex;
            case 'n' -> List.of();
            default -> primaryKey;
        };
    }

    /**
     * True when publishing the table would make writers' UPDATE and DELETE fail: no replica identity at all
     * (DEFAULT without a primary key, or NOTHING).
     */
    public boolean breaksWritersWhenPublished() {
        return identityColumns().isEmpty();
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
