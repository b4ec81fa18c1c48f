package io.tviewd.config;

import java.time.Duration;
import java.util.List;

/**
 * Where and how tviews are discovered by naming convention.
 *
 * @param schemaPollInterval how often the running daemon checks the catalog for DDL that changes its tviews
 * @param owners roles whose tv_/v_ pairs discovery adopts; empty means the daemon's role and the database owner
 */
public record DiscoveryConfig(List<String> schemas, boolean convention, Duration schemaPollInterval, List<String> owners) {

    public DiscoveryConfig {
        schemas = List.copyOf(schemas);
        owners = List.copyOf(owners);
    }

    public DiscoveryConfig(List<String> schemas, boolean convention) {
        this(schemas, convention, Duration.ofSeconds(2), List.of());
    }
}
