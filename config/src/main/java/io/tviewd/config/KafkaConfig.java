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
 * @param securityProtocol PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL
 * @param sslCaFile PEM file of CA certificates (empty: the JVM's trust store)
 * @param saslMechanism PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512
 * @param saslUsername SASL user (with SASL_* protocols)
 * @param saslPassword SASL password
 */
public record KafkaConfig(String bootstrapServers, String topicTemplate, String cascadeTopic, Duration deliveryTimeout,
                          Duration retryBackoff, String securityProtocol, String sslCaFile, String saslMechanism,
                          String saslUsername, Secret saslPassword) {

    /** Without TLS or SASL (tests, local brokers). */
    public KafkaConfig(String bootstrapServers, String topicTemplate, String cascadeTopic, Duration deliveryTimeout, Duration retryBackoff) {
        this(bootstrapServers, topicTemplate, cascadeTopic, deliveryTimeout, retryBackoff, "PLAINTEXT", "", "PLAIN", "", Secret.of(""));
    }

    public boolean enabled() {
        return !bootstrapServers.isBlank();
    }

    /** The topic of a tview's events. */
    public String topic(String schema, String table, String typename) {
        return topicTemplate.replace("{schema}", schema).replace("{table}", table).replace("{typename}", typename);
    }
}
