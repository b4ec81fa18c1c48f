package io.tviewd.connectors.clickhouse;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.tviewd.connectors.TableName;

/**
 * The ClickHouse table of one forwarded tview: its columns with their ClickHouse types, and the statements that
 * create it or add what it lacks. A tview with a {@code data} column (a {@code tv_} document tview) is stored as its
 * key and {@code data} (the document as JSON text), since its events carry only the document; any other as every
 * column of the tview. Both get {@code _version UInt64} (the refresh's commit LSN) and {@code _deleted UInt8}, engine
 * {@code ReplacingMergeTree(_version)} ({@code (_version, _deleted)} on 23.2 and later) ordered by the tview key.
 */
final class ClickHouseTable {

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /** One column: its name, how values are written, and its ClickHouse type. */
    record Column(String name, ColumnType kind, String type) {
    }

    final TableName tview;
    final String name;
    final String qualified;
    final String key;
    final boolean document;
    /**
     * The document column is {@code jsonb}: its text output is already what {@code to_jsonb} gives, so a copy reads it
     * as is (rebuilding every document through {@code to_jsonb} took PostgreSQL 0.4 s per 100,000 documents of 800 bytes).
     */
    final boolean jsonbDocument;
    /** Every column written, by name, the key first. */
    final Map<String, Column> columns;

    private ClickHouseTable(TableName tview, String database, String key, boolean document, boolean jsonbDocument, Map<String, Column> columns) {
        this.tview = tview;
        this.name = tableName(tview);
        this.qualified = ClickHouseHttp.quote(database) + "." + ClickHouseHttp.quote(name);
        this.key = key;
        this.document = document;
        this.jsonbDocument = jsonbDocument;
        this.columns = columns;
    }

    /** A tview's table name in ClickHouse: its own name in schema {@code public}, else {@code <schema>_<name>}. */
    static String tableName(TableName tview) {
        return "public".equals(tview.schema()) ? tview.name() : tview.schema() + "_" + tview.name();
    }

    /** Reads the tview's columns from PostgreSQL and maps them; {@code keyColumn} is the tview key. */
    static ClickHouseTable of(Connection c, TableName tview, String keyColumn, String database, ServerVersion server) throws SQLException {
        Map<String, Column> all = new LinkedHashMap<>();
        Map<String, String> typnames = new java.util.HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT a.attname, t.typname, t.typtype, a.attnotnull, "
                + "CASE WHEN t.typname = 'numeric' AND a.atttypmod > 0 THEN ((a.atttypmod - 4) >> 16) & 65535 END, "
                + "CASE WHEN t.typname = 'numeric' AND a.atttypmod > 0 THEN (a.atttypmod - 4) & 65535 END "
                + "FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
                + "WHERE a.attrelid = pg_catalog.to_regclass(?) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum")) {
            ps.setString(1, tview.toString());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String column = rs.getString(1);
                    String typname = rs.getString(2);
                    typnames.put(column, typname);
                    Integer precision = (Integer) rs.getObject(5);
                    Integer scale = (Integer) rs.getObject(6);
                    ColumnType kind = ColumnType.of(typname, rs.getString(3), precision, server.hasDateTime64());
                    // the key orders the table: never Nullable
                    boolean nullable = !rs.getBoolean(4) && !column.equals(keyColumn);
                    all.put(column, new Column(column, kind, ColumnType.clickhouse(kind, typname, precision, scale, nullable)));
                }
            }
        }
        if (all.isEmpty()) {
            throw new SQLException("tview " + tview + " does not exist (or has no columns)");
        }
        if (!all.containsKey(keyColumn)) {
            throw new SQLException("tview " + tview + " has no key column " + keyColumn);
        }
        boolean document = all.containsKey("data") && !"data".equals(keyColumn);
        Map<String, Column> written = new LinkedHashMap<>();
        written.put(keyColumn, all.get(keyColumn));
        if (document) {
            written.put("data", new Column("data", ColumnType.JSON, "String"));
        } else {
            all.forEach((n, col) -> written.putIfAbsent(n, col));
        }
        return new ClickHouseTable(tview, database, keyColumn, document, document && "jsonb".equals(typnames.get("data")), written);
    }

    /**
     * True when ClickHouse's row (every written column as {@code toString} renders it, in column order) holds what the
     * tview's row does: numbers compared as numbers, JSON as JSON, the rest as text; SQL NULL is {@code \\N}.
     */
    boolean sameRow(com.fasterxml.jackson.databind.JsonNode key, com.fasterxml.jackson.databind.JsonNode data, List<String> stored) {
        int i = 0;
        for (Column col : columns.values()) {
            com.fasterxml.jackson.databind.JsonNode value = col.name().equals(this.key) ? key : document ? data : data == null ? null : data.get(col.name());
            if (i >= stored.size() || !col.kind().same(value, stored.get(i))) {
                return false;
            }
            i++;
        }
        return true;
    }

    String create(ServerVersion server) {
        List<String> defs = new ArrayList<>();
        columns.values().forEach(col -> defs.add(ClickHouseHttp.quote(col.name()) + " " + col.type()));
        defs.add("`_version` UInt64");
        defs.add("`_deleted` UInt8");
        return "CREATE TABLE IF NOT EXISTS " + qualified + " (" + String.join(", ", defs) + ") ENGINE = ReplacingMergeTree("
                + (server.hasIsDeleted() ? "_version, _deleted" : "_version") + ") ORDER BY (" + ClickHouseHttp.quote(key) + ")";
    }

    String addColumn(Column col) {
        return "ALTER TABLE " + qualified + " ADD COLUMN " + ClickHouseHttp.quote(col.name()) + " " + col.type();
    }

    /**
     * An existing table that would not keep one row per key, the newest: another engine, another version column, or an
     * ordering key other than the tview key (ReplacingMergeTree deduplicates by its ordering key, so rows of one key
     * would survive side by side, or rows of different keys collapse). Such a table is never written.
     */
    private List<String> engineProblems(ClickHouseHttp http, String database) throws IOException, InterruptedException {
        String row = http.execute("SELECT engine, engine_full, sorting_key FROM system.tables WHERE database = " + ClickHouseHttp.literal(database)
                + " AND name = " + ClickHouseHttp.literal(name) + " FORMAT JSONEachRow").strip();
        if (row.isEmpty()) {
            return List.of();
        }
        com.fasterxml.jackson.databind.JsonNode t = JSON.readTree(row);
        String engine = t.path("engine").asText();
        String full = t.path("engine_full").asText();
        String sorting = t.path("sorting_key").asText().replace("`", "").replace(" ", "");
        // ReplacingMergeTree itself, or a replicated or shared (ClickHouse Cloud) one, whose first arguments name its replicas
        boolean replacing = engine.matches("(Replicated|Shared)?ReplacingMergeTree");
        boolean versioned = full.replace(" ", "").matches("(Replicated|Shared)?ReplacingMergeTree\\((.*,)?_version(,_deleted)?\\).*");
        boolean keyed = sorting.equals(key) || sorting.equals("(" + key + ")");
        if (replacing && versioned && keyed) {
            return List.of();
        }
        return List.of("ClickHouse table " + database + "." + name + " is ENGINE = " + full + "; tview " + tview + " needs ReplacingMergeTree(_version"
                + ") ORDER BY " + key + " (one row per key, the newest version wins): drop it (tviewd creates it) or recreate it so");
    }

    /**
     * Creates the table when absent; otherwise compares it with the tview. Columns it lacks are added when
     * {@code autoAdd}, else reported with the statement to run; a column of another type is reported too.
     *
     * @return the problems that keep this table from being written (empty when it can be)
     */
    List<String> ensure(ClickHouseHttp http, String database, ServerVersion server, boolean autoAdd) throws IOException, InterruptedException {
        String existing = http.execute("SELECT name, type FROM system.columns WHERE database = " + ClickHouseHttp.literal(database)
                + " AND table = " + ClickHouseHttp.literal(name) + " FORMAT JSONEachRow");
        if (existing.isBlank()) {
            http.execute(create(server));
            return List.of();
        }
        Map<String, String> have = new LinkedHashMap<>();
        for (String line : existing.split("\n")) {
            if (!line.isBlank()) {
                com.fasterxml.jackson.databind.JsonNode row = JSON.readTree(line);
                have.put(row.path("name").asText(), row.path("type").asText());
            }
        }
        List<String> problems = new ArrayList<>(engineProblems(http, database));
        for (String meta : List.of("_version", "_deleted")) {
            if (!have.containsKey(meta)) {
                problems.add("ClickHouse table " + database + "." + name + " has no column " + meta + " (it was not created by tviewd); "
                        + "drop it or add the column");
            }
        }
        for (Column col : columns.values()) {
            String type = have.get(col.name());
            if (type == null) {
                if (autoAdd) {
                    http.execute(addColumn(col));
                } else {
                    problems.add("ClickHouse table " + database + "." + name + " lacks column " + col.name() + " of tview " + tview
                            + ": run " + addColumn(col) + " (or set clickhouse.auto-add-columns: true)");
                }
            } else if (!type.replace(" ", "").equals(col.type().replace(" ", ""))) {
                problems.add("ClickHouse column " + database + "." + name + "." + col.name() + " is " + type + ", tview " + tview
                        + " needs " + col.type() + ": alter or drop the ClickHouse column");
            }
        }
        return problems;
    }

}
