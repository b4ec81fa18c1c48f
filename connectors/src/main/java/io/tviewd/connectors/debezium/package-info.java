/**
 * The change source of today: Debezium Embedded on the CDC slot ({@link io.tviewd.connectors.debezium.DebeziumChangeSource}),
 * and the event stream readers on their own slots. Calls the PostgreSQL state store for offsets; stores an offset only after
 * the handler returned.
 */
package io.tviewd.connectors.debezium;
