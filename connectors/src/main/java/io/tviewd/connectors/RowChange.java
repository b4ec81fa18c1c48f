package io.tviewd.connectors;

import java.util.Map;

/**
 * One committed change to a base-table row, as read from the change stream.
 *
 * @param table the base table
 * @param op what happened
 * @param before old image (column → value) or null when the stream has none; with REPLICA IDENTITY
 *               DEFAULT it holds only key columns, other values null
 * @param after new image or null (delete, truncate)
 * @param txId source transaction id, or -1 when unknown
 */
public record RowChange(TableName table, Op op, Map<String, Object> before, Map<String, Object> after, long txId) {

    /** Kinds of change. TRUNCATE carries no row images. */
    public enum Op { INSERT, UPDATE, DELETE, TRUNCATE }
}
