package io.tviewd.config;

import java.util.List;
import java.util.Optional;

/**
 * A tview declared in config rather than discovered by convention, or settings for a discovered one.
 *
 * @param table the table-backed view, optionally schema-qualified ({@code public.tv_post})
 * @param sourceView the view it copies; empty for settings of a convention-discovered tview
 * @param key key column; empty means the table's primary key from the catalog
 * @param unmapped policy for base tables with no derivable mapping; empty means {@code refresh.unmapped-policy}
 * @param mappings explicit key mappings, which replace derived ones for their tables
 * @param mode initial refresh mode; empty means {@code refresh.default-mode}
 * @param schedule interval or cron expression of {@code scheduled} mode
 * @param typename entity name in events; empty means the PascalCase of the name without its {@code tv_}/{@code ta_} prefix
 */
public record TviewDeclaration(String table, Optional<String> sourceView, Optional<String> key,
                               Optional<UnmappedPolicy> unmapped, List<MappingDeclaration> mappings,
                               Optional<RefreshMode> mode, Optional<Schedule> schedule,
                               Optional<String> typename) {

    public TviewDeclaration {
        mappings = List.copyOf(mappings);
    }
}
