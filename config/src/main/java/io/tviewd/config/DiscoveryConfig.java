package io.tviewd.config;

import java.time.Duration;
import java.util.List;

/**
 * Where and how tviews are discovered by naming convention.
 *
 * @param schemaPollInterval how often the running daemon checks the catalog for DDL that changes its tviews
 */
public record DiscoveryConfig(List<String> schemas, boolean convention, Duration schemaPollInterval) {

    public DiscoveryConfig {
        schemas = List.copyOf(schemas);
    }

    public DiscoveryConfig(List<String> schemas, boolean convention) {
        this(schemas, convention, Duration.ofSeconds(2));
    }
}
