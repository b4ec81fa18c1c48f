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
}
