package io.tviewd.connectors.postgres.catalog;

import java.util.List;

import io.tviewd.connectors.TableName;

/**
 * A table a tview's source view reads (directly or through nested views).
 *
 * @param name the table
 * @param primaryKey its primary-key columns (may be empty)
 * @param columns all its columns
 * @param replicaIdentity {@code d} default, {@code f} full, {@code i} index, {@code n} nothing; for a partitioned table
 *        the identity its partitions' old images really have: the kind they share, or {@code m} (mixed) when they differ
 * @param identityIndex the columns of the {@code REPLICA IDENTITY USING INDEX} index; for {@code m}, the columns every
 *        partition's old images carry (empty unless {@code i} or {@code m})
 * @param partitions the leaf partitions of a partitioned table (their identities are what the WAL logs), else empty
 */
public record BaseTable(TableName name, List<String> primaryKey, List<String> columns, char replicaIdentity,
                        List<String> identityIndex, List<TableName> partitions) {

    public BaseTable {
        primaryKey = List.copyOf(primaryKey);
        columns = List.copyOf(columns);
        identityIndex = List.copyOf(identityIndex);
        partitions = List.copyOf(partitions);
    }

    public BaseTable(TableName name, List<String> primaryKey, List<String> columns, char replicaIdentity) {
        this(name, primaryKey, columns, replicaIdentity, List.of(), List.of());
    }

    public BaseTable(TableName name, List<String> primaryKey, List<String> columns, char replicaIdentity, List<String> identityIndex) {
        this(name, primaryKey, columns, replicaIdentity, identityIndex, List.of());
    }

    /** The statements that give every old image all columns: the table, and each partition (the setting is not inherited). */
    public String fullIdentityStatements() {
        StringBuilder sb = new StringBuilder("ALTER TABLE " + name.quoted() + " REPLICA IDENTITY FULL;");
        partitions.forEach(p -> sb.append(" ALTER TABLE ").append(p.quoted()).append(" REPLICA IDENTITY FULL;"));
        return sb.toString();
    }

    /** The columns an old row image (UPDATE, DELETE) really carries: the primary key, the identity index's, or all. */
    public List<String> identityColumns() {
        return switch (replicaIdentity) {
            case 'f' -> columns;
            case 'i', 'm' -> identityIndex;
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
            case 'm' -> "that differs between its partitions";
            default -> "DEFAULT";
        };
    }
}
