/**
 * The Kafka event sink ({@link io.tviewd.connectors.kafka.KafkaEventSink}); talks only to Kafka.
 */
package io.tviewd.connectors.kafka;
