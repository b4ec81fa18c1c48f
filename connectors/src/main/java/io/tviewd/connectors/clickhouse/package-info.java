/**
 * The ClickHouse sink: refresh events of the selected tviews inserted over ClickHouse's HTTP interface into
 * {@code ReplacingMergeTree(_version)} tables, versioned by the refresh transaction's commit LSN.
 */
package io.tviewd.connectors.clickhouse;
