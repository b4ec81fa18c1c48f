package io.tviewd.config;

import java.util.List;

/**
 * The daemon's whole configuration: one immutable record per component.
 * Built only by {@link ConfigLoader}, which validates every value first.
 */
public record TviewdConfig(
        DatabaseConfig database,
        CdcConfig cdc,
        RefreshConfig refresh,
        HttpConfig http,
        DiscoveryConfig discovery,
        EventsConfig events,
        KafkaConfig kafka,
        ClickHouseConfig clickhouse,
        List<TviewDeclaration> tviews) {

    public TviewdConfig {
        tviews = List.copyOf(tviews);
    }

    /** Returns a copy pointing at another database (used by {@code demo} for its embedded PostgreSQL). */
    public TviewdConfig withDatabase(DatabaseConfig db) {
        return new TviewdConfig(db, cdc, refresh, http, discovery, events, kafka, clickhouse, tviews);
    }

    /** Returns a copy with other HTTP settings. */
    public TviewdConfig withHttp(HttpConfig h) {
        return new TviewdConfig(database, cdc, refresh, h, discovery, events, kafka, clickhouse, tviews);
    }
}
