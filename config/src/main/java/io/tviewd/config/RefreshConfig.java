package io.tviewd.config;

import java.time.Duration;

/** How refresh statements are shaped. */
public record RefreshConfig(int maxKeysPerStatement, Duration statementTimeout, Duration quarantineRetry) {
}
