package io.tviewd.config;

import java.time.Duration;

/**
 * The Kafka event sink.
 *
 * @param bootstrapServers empty disables the sink
 * @param topicTemplate topic per tview, with placeholders {schema}, {table}, {typename}
 * @param cascadeTopic topic of cascade records
 * @param deliveryTimeout how long one send may take before it counts as failed
 * @param retryBackoff pause between attempts to deliver an unacknowledged batch
 */
public record KafkaConfig(String bootstrapServers, String topicTemplate, String cascadeTopic, Duration deliveryTimeout,
                          Duration retryBackoff) {

    public boolean enabled() {
        return !bootstrapServers.isBlank();
    }

    /** The topic of a tview's events. */
    public String topic(String schema, String table, String typename) {
        return topicTemplate.replace("{schema}", schema).replace("{table}", table).replace("{typename}", typename);
    }
}
