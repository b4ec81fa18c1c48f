package io.tviewd.config;

import java.util.List;

/** Where and how tviews are discovered by naming convention. */
public record DiscoveryConfig(List<String> schemas, boolean convention) {

    public DiscoveryConfig {
        schemas = List.copyOf(schemas);
    }
}
