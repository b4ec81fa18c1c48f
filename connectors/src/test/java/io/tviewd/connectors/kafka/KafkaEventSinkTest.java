package io.tviewd.connectors.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class KafkaEventSinkTest {

    @Test
    void invalidTopic_namesWhatKafkaWouldRefuse() {
        assertThat(KafkaEventSink.invalidTopic("tviewd.public.tv_post")).isNull();
        assertThat(KafkaEventSink.invalidTopic("tviewd.public.tv_caf\u00e9")).isEqualTo("contains '\u00e9' (Kafka allows only letters, digits, '.', '_' and '-')");
        assertThat(KafkaEventSink.invalidTopic("tviewd.public.tv my post")).startsWith("contains ' '");
        assertThat(KafkaEventSink.invalidTopic("x".repeat(250))).isEqualTo("is 250 characters long (Kafka allows 1 to 249)");
        assertThat(KafkaEventSink.invalidTopic("..")).isEqualTo("is not allowed by Kafka");
    }

    @Test
    void producerProperties_carryTlsAndSasl_withTheCredentialsQuoted() {
        var plain = KafkaEventSink.producerProperties(new io.tviewd.config.KafkaConfig("k:9092", "t.{table}", "c", java.time.Duration.ofSeconds(30),
                java.time.Duration.ofSeconds(1)));
        assertThat(plain.getProperty("security.protocol")).isEqualTo("PLAINTEXT");
        assertThat(plain).doesNotContainKeys("sasl.jaas.config", "ssl.truststore.location");

        var sasl = KafkaEventSink.producerProperties(new io.tviewd.config.KafkaConfig("k:9093", "t.{table}", "c", java.time.Duration.ofSeconds(30),
                java.time.Duration.ofSeconds(1), "SASL_SSL", "/etc/ca.pem", "SCRAM-SHA-256", "tv\"d", io.tviewd.config.Secret.of("p\\w\"x")));
        assertThat(sasl.getProperty("security.protocol")).isEqualTo("SASL_SSL");
        assertThat(sasl.getProperty("ssl.truststore.type")).isEqualTo("PEM");
        assertThat(sasl.getProperty("ssl.truststore.location")).isEqualTo("/etc/ca.pem");
        assertThat(sasl.getProperty("sasl.mechanism")).isEqualTo("SCRAM-SHA-256");
        assertThat(sasl.getProperty("sasl.jaas.config")).isEqualTo(
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"tv\\\"d\" password=\"p\\\\w\\\"x\";");
    }
}
