package io.tviewd.connectors.clickhouse;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.tviewd.connectors.TableName;
import io.tviewd.connectors.events.EventSink;
import io.tviewd.connectors.events.RefreshEvent;
import io.tviewd.connectors.postgres.PostgresSessions;
import io.tviewd.connectors.postgres.refresh.RefreshStatements;

/**
 * How {@link ClickHouseCopy} reads a tview from PostgreSQL: chunks in key order after a given key, each in its own
 * transaction (with the refresh lock and the WAL position as version when the copy needs current versions), as
 * events built from {@code to_jsonb} rows or — a document tview — as the key and document texts, turned into
 * JSONEachRow lines without a tree.
 */
final class CopyChunks {

    static final JsonFactory LINES = new JsonFactory();
    static final ObjectMapper ROWS = JsonMapper.builder().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true)).build();

    private CopyChunks() {
    }

    /** Key chunk of the copies (and of verify). */
    static final int CHUNK = 5_000;

    /**
     * Key chunk of a document tview's copy: each insert writes a part (ClickHouse 18.16 took twice as long for 20 inserts
     * of 5,000 rows as for one of 100,000), and these rows are read and sent as text, two strings per row.
     */
    static final int DOCUMENT_CHUNK = 20_000;

    /**
     * A chunk read: its rows as events, or (a document tview) as what PostgreSQL sent — each key as JSON text and each
     * document's UTF-8 bytes — turned into the insert's lines by the sender ({@link DocumentLines}) while the next chunk
     * is read; and its last key.
     */
    record Chunk(List<RefreshEvent> rows, String last, String[] keys, byte[][] documents, int count, long version) {
        Chunk(List<RefreshEvent> rows, String last) {
            this(rows, last, null, null, rows.size(), 0);
        }
    }

    @FunctionalInterface
    private interface RowReader {
        void read(ResultSet rs, long version) throws SQLException, java.io.IOException;
    }

    /**
     * Runs a chunk's query for the keys after {@code after} in a transaction of its own — with {@code currentVersions},
     * under the refresh lock with the WAL position as version, else version 0 — handing each row to {@code reader}.
     *
     * @return the chunk's version
     */
    private static long scan(Connection c, boolean currentVersions, String sql, String after, RowReader reader)
            throws SQLException, java.io.IOException {
        return PostgresSessions.inTransaction(c, () -> {
            long version = currentVersions ? lockedVersion(c) : 0;
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setString(1, after);
                ps.setString(2, after);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        reader.read(rs, version);
                    }
                }
            }
            return version;
        });
    }

    /** One chunk of a document tview: per row its key as JSON text and its document's bytes as PostgreSQL sent them, unparsed. */
    static Chunk readTexts(Connection c, boolean currentVersions, String sql, String after, int limit)
            throws SQLException, java.io.IOException {
        String[] keys = new String[limit];
        byte[][] documents = new byte[limit][];
        String[] last = {null};
        int[] count = {0};
        long version = scan(c, currentVersions, sql, after, (rs, v) -> {
            last[0] = rs.getString(1);
            keys[count[0]] = rs.getString(2);
            // the text PostgreSQL sent, undecoded (the driver's connections are UTF-8)
            documents[count[0]] = rs.getBytes(3);
            count[0]++;
        });
        return new Chunk(null, last[0], keys, documents, count[0], version);
    }

    /** One chunk of rows after key {@code after}, as events (see {@link #scan} for their version). */
    static Chunk read(Connection c, ClickHouseTable table, boolean currentVersions, String sql, String after)
            throws SQLException, java.io.IOException {
        List<RefreshEvent> rows = new ArrayList<>();
        String[] last = {null};
        scan(c, currentVersions, sql, after, (rs, version) -> {
            last[0] = rs.getString(1);
            rows.add(row(table, ROWS.readTree(rs.getString(2)), version, rows.size() + 1));
        });
        return new Chunk(rows, last[0]);
    }

    /** Takes the refresh lock (SHARE: refreshes wait, other copies do not) and returns the WAL insert position. */
    static long lockedVersion(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(RefreshStatements.LOCK.replace("EXCLUSIVE MODE", "SHARE MODE"));
            try (ResultSet rs = s.executeQuery("SELECT pg_catalog.pg_current_wal_insert_lsn() - '0/0'::pg_lsn")) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    static RefreshEvent row(ClickHouseTable table, JsonNode row, long version, int seq) {
        JsonNode data = table.document ? row.get("data") : row;
        return new RefreshEvent(table.tview.toString(), "", row.get(table.key), RefreshEvent.UPSERT, false,
                data == null || data.isNull() ? null : io.tviewd.connectors.events.EventData.of(data), version, seq, 0,
                List.of(), List.of(), false, Instant.now(), "", "backfill");
    }

    static RefreshEvent tombstone(ClickHouseTable table, JsonNode key, long version) {
        return new RefreshEvent(table.tview.toString(), "", key, RefreshEvent.DELETE, false, null, version, 1, 0,
                List.of(), List.of(), false, Instant.now(), "", "repair");
    }

    /** Keyset pagination: the next {@value #CHUNK} rows after key parameter 1 (= 2; null: from the first). */
    static String page(ClickHouseTable table, String keyType) {
        String key = TableName.quote(table.key);
        return "SELECT t." + key + "::text, pg_catalog.to_jsonb(t)::text FROM " + table.tview.quoted() + " t WHERE CAST(? AS text) IS NULL OR t."
                + key + " > CAST(CAST(? AS text) AS " + keyType + ") ORDER BY t." + key + " LIMIT " + CHUNK;
    }

    /**
     * {@link #page} of a document tview: key text, key as JSON, document as JSON ({@code to_jsonb(row).data}, without the
     * row; a {@code jsonb} document as it is stored).
     */
    static String documentPage(ClickHouseTable table, String keyType, int limit) {
        String key = TableName.quote(table.key);
        String document = table.jsonbDocument ? "t.data::text" : "pg_catalog.to_jsonb(t.data)::text";
        return "SELECT t." + key + "::text, pg_catalog.to_jsonb(t." + key + ")::text, " + document + " FROM "
                + table.tview.quoted() + " t WHERE CAST(? AS text) IS NULL OR t." + key + " > CAST(CAST(? AS text) AS " + keyType
                + ") ORDER BY t." + key + " LIMIT " + limit;
    }

    static String keyType(Connection c, ClickHouseTable table) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a "
                + "WHERE a.attrelid = pg_catalog.to_regclass(?) AND a.attname = ?")) {
            ps.setString(1, table.tview.toString());
            ps.setString(2, table.key);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException("tview " + table.tview + " has no column " + table.key);
                }
                return rs.getString(1);
            }
        }
    }

    static long count(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
