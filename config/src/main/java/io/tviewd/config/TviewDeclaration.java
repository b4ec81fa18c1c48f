package io.tviewd.config;

import java.util.Optional;

/**
 * A tview declared in config rather than discovered by convention.
 *
 * @param table the table-backed view, optionally schema-qualified ({@code public.tv_post})
 * @param sourceView the view it copies
 * @param key key column; empty means the table's primary key from the catalog
 */
public record TviewDeclaration(String table, String sourceView, Optional<String> key) {
}
