package io.tviewd.config;

import java.time.Duration;

/** Change data capture settings (Debezium Embedded, pgoutput). */
public record CdcConfig(
        String slotName,
        String publicationName,
        String topicPrefix,
        Duration pollInterval,
        Duration heartbeatInterval,
        Duration offsetFlushInterval,
        int maxBatchSize,
        int maxQueueSize) {
}
