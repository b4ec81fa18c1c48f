package io.tviewd.config;

/**
 * An explicit key mapping declared in config for one base table of one tview.
 *
 * @param table the base table, optionally schema-qualified
 * @param column the changed row's column whose values feed the query
 * @param sql a query returning tview keys; {@code :values} stands for the array of changed values
 */
public record MappingDeclaration(String table, String column, String sql) {
}
