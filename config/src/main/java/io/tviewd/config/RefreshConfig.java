package io.tviewd.config;

import java.time.Duration;

/**
 * How refresh statements are shaped and how unusual tviews are treated.
 *
 * @param unmappedPolicy default policy for base tables with no derivable key mapping
 * @param defaultMode initial mode of tviews that do not declare one
 * @param defaultSchedule interval or cron expression of scheduled tviews that do not declare one
 * @param emitEvents refresh statements emit one logical message per changed row ({@code events.enabled})
 * @param eventRows those messages carry the row too (needed by {@code events.data} or {@code events.cascade})
 * @param enforceReplicaIdentity refuse tviews whose mappings need old-image columns the table's replica identity does not log
 */
public record RefreshConfig(int maxKeysPerStatement, Duration statementTimeout, Duration quarantineRetry,
                            UnmappedPolicy unmappedPolicy, boolean enforceReplicaIdentity, RefreshMode defaultMode,
                            Schedule defaultSchedule, boolean emitEvents, boolean eventRows) {
}
