package io.tviewd.connectors.clickhouse;

import static io.tviewd.connectors.clickhouse.CopyChunks.CHUNK;
import static io.tviewd.connectors.clickhouse.CopyChunks.DOCUMENT_CHUNK;
import static io.tviewd.connectors.clickhouse.CopyChunks.ROWS;
import static io.tviewd.connectors.clickhouse.CopyChunks.count;
import static io.tviewd.connectors.clickhouse.CopyChunks.documentPage;
import static io.tviewd.connectors.clickhouse.CopyChunks.keyType;
import static io.tviewd.connectors.clickhouse.CopyChunks.lockedVersion;
import static io.tviewd.connectors.clickhouse.CopyChunks.page;
import static io.tviewd.connectors.clickhouse.CopyChunks.read;
import static io.tviewd.connectors.clickhouse.CopyChunks.readTexts;
import static io.tviewd.connectors.clickhouse.CopyChunks.row;
import static io.tviewd.connectors.clickhouse.CopyChunks.tombstone;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.tviewd.config.ClickHouseConfig;
import io.tviewd.connectors.TableName;
import io.tviewd.connectors.clickhouse.CopyChunks.Chunk;
import io.tviewd.connectors.events.EventSink;
import io.tviewd.connectors.events.RefreshEvent;
import io.tviewd.connectors.postgres.PostgresSessions;

/**
 * Copies tview rows to ClickHouse outside the event stream: the sink's automatic initial copy, {@code tviewd clickhouse
 * backfill} and {@code verify --repair}. Rows are read in key order, a chunk at a time.
 *
 * <p>Versions. The initial copy writes version 0 (any later event wins). The commands write rows that must win over
 * what ClickHouse holds and lose to every later refresh: each chunk is read in a transaction that first takes the
 * refresh lock in SHARE mode — every refresh, trigger and populate holds it EXCLUSIVE while it writes — and then reads
 * the WAL insert position. Every refresh that committed before is then visible in the chunk's snapshot and has a lower
 * commit LSN; every refresh after it commits later, so its events carry a higher one.
 */
public final class ClickHouseCopy {


    /** Progress of a command: done of total. */
    @FunctionalInterface
    public interface Progress {
        void update(long done, long total);
    }

    /** What verify found: keys checked, missing from / extra in / differing in ClickHouse, a few examples, and keys re-sent. */
    public record Drift(long checked, long missing, long extra, long differing, List<String> sample, long repaired) {
        public boolean any() {
            return missing + extra + differing > 0;
        }
    }

    private final ClickHouseSink sink;
    private final PostgresSessions sessions;

    ClickHouseCopy(ClickHouseSink sink, PostgresSessions sessions) {
        this.sink = sink;
        this.sessions = sessions;
    }

    /** For the commands: a sink of its own (never started as a stream) to prepare tables and insert. */
    public ClickHouseCopy(ClickHouseConfig config, PostgresSessions sessions, Function<String, String> keyColumns) {
        this(new ClickHouseSink(config, sessions, keyColumns, (t, r, b, l) -> { }), sessions);
    }

    /**
     * {@code tviewd clickhouse backfill}: copies the whole tview with current versions, resuming after the last key an
     * interrupted run stored.
     *
     * @return rows copied by this run
     */
    public long backfill(String tview, Progress progress) throws Exception {
        try (CopyTarget p = CopyTarget.open(sink, tview, () -> sessions.open("tviewd-clickhouse-backfill", java.time.Duration.ofMinutes(10)))) {
            ClickHouseTable table = p.table();
            Connection c = p.postgres();
            InitialBackfill.owe(c, tview, InitialBackfill.COMMAND);
            String after = InitialBackfill.owed(c, InitialBackfill.COMMAND).get(tview);
            long rows = copy(c, table, after, true, InitialBackfill.COMMAND, progress);
            InitialBackfill.paid(c, tview, InitialBackfill.COMMAND);
            return rows;
        }
    }

    /**
     * Copies the tview's rows after key {@code after} (null: from the first), chunk by chunk, storing the last key copied
     * under {@code kind} after each.
     */
    long copy(Connection c, ClickHouseTable table, String after, boolean currentVersions, String kind, Progress progress) throws Exception {
        String keyType = keyType(c, table);
        // what is left to copy (a resumed run counts only the keys after the stored one)
        long total;
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM " + table.tview.quoted() + " t WHERE CAST(? AS text) IS NULL OR t."
                + TableName.quote(table.key) + " > CAST(CAST(? AS text) AS " + keyType + ")")) {
            ps.setString(1, after);
            ps.setString(2, after);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                total = rs.getLong(1);
            }
        }
        // a document tview's rows go as JSONEachRow lines built straight from the document text (no tree per row);
        // any other tview's rows are written column by column as the stream writes its events
        boolean lines = table.document;
        int limit = lines ? Math.min(DOCUMENT_CHUNK, sink.maxBatchRows()) : CHUNK;
        String sql = lines ? documentPage(table, keyType, limit) : page(table, keyType);
        // the next chunk is read from PostgreSQL while the previous one goes to ClickHouse; a chunk's last key is stored
        // only once ClickHouse acknowledged it, so a restart resumes after the last chunk that arrived
        java.util.concurrent.ExecutorService sender = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "tviewd-clickhouse-copy");
            t.setDaemon(true);
            return t;
        });
        try {
            long copied = 0;
            java.util.concurrent.Future<?> inFlight = null;
            String inFlightLast = null;
            int inFlightRows = 0;
            while (true) {
                Chunk chunk = lines ? readTexts(c, currentVersions, sql, after, limit) : read(c, table, currentVersions, sql, after);
                if (inFlight != null) {
                    awaitSent(inFlight);
                    copied += inFlightRows;
                    InitialBackfill.progress(c, table.tview.toString(), kind, inFlightLast);
                    progress.update(copied, Math.max(total, copied));
                    inFlight = null;
                }
                if (chunk.count() == 0) {
                    return copied;
                }
                inFlight = sender.submit(() -> {
                    if (chunk.keys() != null) {
                        sink.insertLines(table, out -> DocumentLines.write(table, chunk, out), chunk.count());
                    } else {
                        send(table, chunk.rows());
                    }
                    return null;
                });
                inFlightLast = chunk.last();
                inFlightRows = chunk.count();
                after = chunk.last();
            }
        } finally {
            sender.shutdownNow();
        }
    }

    private static void awaitSent(java.util.concurrent.Future<?> sent) throws Exception {
        try {
            sent.get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof Exception x ? x : new IllegalStateException(e.getCause());
        }
    }

    private void send(ClickHouseTable table, List<RefreshEvent> rows) throws Exception {
        for (EventSink.Refused r : sink.insertRows(table, rows)) {
            throw new EventSink.PermanentFailure("key " + r.key() + " of " + r.tview() + " cannot be stored in ClickHouse: " + r.reason(), null);
        }
    }

    /**
     * {@code tviewd clickhouse verify}: compares the tview with ClickHouse {@code FINAL … WHERE _deleted = 0}, chunk by
     * chunk of tview keys (count and every column of every row), then looks for keys ClickHouse holds that the tview
     * does not. With {@code repair} the missing and differing rows are re-sent and the extra ones get tombstones, all
     * with current versions.
     */
    public Drift verify(String tview, boolean repair, Progress progress) throws Exception {
        long checked = 0;
        long missing = 0;
        long differing = 0;
        long repaired = 0;
        List<String> sample = new ArrayList<>();
        try (CopyTarget p = CopyTarget.open(sink, tview, () -> sessions.open("tviewd-clickhouse-verify", java.time.Duration.ofMinutes(10)))) {
            ClickHouseTable table = p.table();
            Connection c = p.postgres();
            String keyType = keyType(c, table);
            long total = count(c, "SELECT count(*) FROM " + table.tview.quoted());
            String page = page(table, keyType);
            String after = null;
            while (true) {
                Chunk chunk = read(c, table, false, page, after);
                if (chunk.rows().isEmpty()) {
                    break;
                }
                Map<String, List<String>> stored = clickhouseRows(table, chunk.rows().stream().map(RefreshEvent::key).toList());
                List<RefreshEvent> resend = new ArrayList<>();
                for (RefreshEvent e : chunk.rows()) {
                    List<String> have = stored.get(e.keyText());
                    if (have == null) {
                        missing++;
                    } else if (!table.sameRow(e.key(), e.data() == null ? null : e.data().tree(), have)) {
                        differing++;
                    } else {
                        continue;
                    }
                    if (sample.size() < 5) {
                        sample.add(e.keyText() + (have == null ? " (missing)" : " (differs)"));
                    }
                    resend.add(e);
                }
                if (repair && !resend.isEmpty()) {
                    repaired += resendCurrent(c, table, resend.stream().map(RefreshEvent::keyText).toList(), keyType);
                }
                checked += chunk.rows().size();
                after = chunk.last();
                progress.update(checked, Math.max(total, checked));
            }
            // keys ClickHouse holds as live rows that the tview does not
            List<JsonNode> extra = extraKeys(c, table, keyType);
            for (JsonNode k : extra) {
                if (sample.size() < 5) {
                    sample.add((k.isTextual() ? k.textValue() : k.toString()) + " (extra)");
                }
            }
            if (repair && !extra.isEmpty()) {
                long version = lockedVersionCommitted(c);
                List<RefreshEvent> graves = new ArrayList<>();
                for (JsonNode k : extra) {
                    graves.add(tombstone(table, k, version));
                }
                send(table, graves);
                repaired += graves.size();
            }
            return new Drift(checked, missing, extra.size(), differing, sample, repaired);
        }
    }

    /** Re-reads the given keys under the refresh lock and sends them with the current version; a key gone meanwhile gets a tombstone. */
    private long resendCurrent(Connection c, ClickHouseTable table, List<String> keys, String keyType) throws Exception {
        String key = TableName.quote(table.key);
        List<RefreshEvent> rows = PostgresSessions.inTransaction(c, () -> {
            List<RefreshEvent> out = new ArrayList<>();
            long version = lockedVersion(c);
            Set<String> seen = new HashSet<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT t." + key + "::text, pg_catalog.to_jsonb(t)::text FROM " + table.tview.quoted()
                    + " t WHERE t." + key + " = ANY(CAST(CAST(? AS text[]) AS " + keyType + "[]))")) {
                ps.setArray(1, c.createArrayOf("text", keys.toArray()));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        seen.add(rs.getString(1));
                        out.add(row(table, ROWS.readTree(rs.getString(2)), version, out.size() + 1));
                    }
                }
            }
            for (String k : keys) {
                if (!seen.contains(k)) {
                    out.add(tombstone(table, table.columns.get(table.key).kind() == ColumnType.INT
                            ? ROWS.readTree(k) : JsonNodeFactory.instance.textNode(k), version));
                }
            }
            return out;
        });
        send(table, rows);
        return rows.size();
    }

    private static long lockedVersionCommitted(Connection c) throws SQLException, java.io.IOException {
        return PostgresSessions.inTransaction(c, () -> lockedVersion(c));
    }

    /** ClickHouse's live rows of the given keys: key text → every written column as ClickHouse's toString renders it. */
    private Map<String, List<String>> clickhouseRows(ClickHouseTable table, List<JsonNode> keys) throws Exception {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (keys.isEmpty()) {
            return out;
        }
        List<String> literals = new ArrayList<>();
        ClickHouseTable.Column k = table.columns.get(table.key);
        for (JsonNode key : keys) {
            literals.add(k.kind() == ColumnType.INT ? key.bigIntegerValue().toString() : ClickHouseHttp.literal(key.isTextual() ? key.textValue() : key.toString()));
        }
        List<String> columns = new ArrayList<>();
        table.columns.keySet().forEach(col -> columns.add("toString(" + ClickHouseHttp.quote(col) + ")"));
        String body = sink.http().execute("SELECT " + String.join(", ", columns) + " FROM " + table.qualified + " FINAL WHERE _deleted = 0 AND "
                + ClickHouseHttp.quote(table.key) + " IN (" + String.join(", ", literals) + ") FORMAT TabSeparated");
        for (String line : body.split("\n")) {
            if (!line.isEmpty()) {
                List<String> fields = tsv(line);
                out.put(fields.get(0), fields);
            }
        }
        return out;
    }

    /** Live ClickHouse keys the tview lacks (streamed in chunks of keys checked against PostgreSQL). */
    private List<JsonNode> extraKeys(Connection c, ClickHouseTable table, String keyType) throws Exception {
        String body = sink.http().execute("SELECT toString(" + ClickHouseHttp.quote(table.key) + ") FROM " + table.qualified
                + " FINAL WHERE _deleted = 0 FORMAT TabSeparated");
        List<String> all = new ArrayList<>();
        for (String line : body.split("\n")) {
            if (!line.isEmpty()) {
                all.add(tsv(line).get(0));
            }
        }
        List<JsonNode> extra = new ArrayList<>();
        String key = TableName.quote(table.key);
        boolean numeric = table.columns.get(table.key).kind() == ColumnType.INT;
        for (int i = 0; i < all.size(); i += CHUNK) {
            List<String> part = all.subList(i, Math.min(all.size(), i + CHUNK));
            Set<String> present = new HashSet<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT t." + key + "::text FROM " + table.tview.quoted() + " t WHERE t." + key
                    + " = ANY(CAST(CAST(? AS text[]) AS " + keyType + "[]))")) {
                ps.setArray(1, c.createArrayOf("text", part.toArray()));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        present.add(rs.getString(1));
                    }
                }
            }
            for (String k : part) {
                if (!present.contains(k)) {
                    extra.add(numeric ? ROWS.readTree(k) : JsonNodeFactory.instance.textNode(k));
                }
            }
        }
        return extra;
    }

    private static List<String> tsv(String line) {
        List<String> fields = new ArrayList<>();
        for (String f : line.split("\t", -1)) {
            StringBuilder b = new StringBuilder(f.length());
            for (int i = 0; i < f.length(); i++) {
                char ch = f.charAt(i);
                if (ch == '\\' && i + 1 < f.length()) {
                    char n = f.charAt(++i);
                    switch (n) {
                        case 't' -> b.append('\t');
                        case 'n' -> b.append('\n');
                        case 'r' -> b.append('\r');
                        case '0' -> b.append('\0');
                        case 'b' -> b.append('\b');
                        case 'f' -> b.append('\f');
                        case 'N' -> b.append("\\N");
                        default -> b.append(n);
                    }
                } else {
                    b.append(ch);
                }
            }
            fields.add(b.toString());
        }
        return fields;
    }

}
