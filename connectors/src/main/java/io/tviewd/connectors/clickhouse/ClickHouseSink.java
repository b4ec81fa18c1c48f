package io.tviewd.connectors.clickhouse;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import io.tviewd.config.ClickHouseConfig;
import io.tviewd.connectors.TableName;
import io.tviewd.connectors.events.Cascade;
import io.tviewd.connectors.events.EventSink;
import io.tviewd.connectors.events.RefreshEvent;
import io.tviewd.connectors.postgres.PostgresSessions;

/**
 * Forwards the refresh events of the selected tviews (every {@code ta_} tview unless excluded, and those named in
 * {@code clickhouse.tviews}) to ClickHouse: one {@code INSERT … FORMAT JSONEachRow} per table and batch (at most
 * {@code clickhouse.max-batch-rows} rows, at least {@code clickhouse.flush-interval} apart), each row versioned with
 * the refresh transaction's commit LSN ({@code _version}), a delete as a tombstone ({@code _deleted = 1}). A replay
 * writes the same rows with the same versions, so {@code FINAL} shows each key once. {@link #deliver} returns only
 * after ClickHouse acknowledged every insert; the event stream's position moves only then.
 *
 * <p>Tables are created when absent; a table that lacks a column of its tview (also one added while running) is
 * extended when {@code clickhouse.auto-add-columns} is on, else the sink stops and names the statement to run. A
 * value the column's type cannot hold (a date before 1970) refuses that one row, reported and counted.
 *
 * <p>Not thread-safe: one event stream thread calls it.
 */
public final class ClickHouseSink implements EventSink {

    private static final Logger LOG = LoggerFactory.getLogger(ClickHouseSink.class);
    private static final JsonFactory JSON = new JsonFactory();

    private final ClickHouseConfig config;
    private final PostgresSessions sessions;
    /** Tview key column by schema-qualified tview name, as the daemon planned them. */
    private final Function<String, String> keyColumns;
    private final ClickHouseHttp http;
    private final Map<String, ClickHouseTable> tables = new HashMap<>();
    /** Whether events of a tview go to ClickHouse, by the name events carry (asked once per tview, not per event). */
    private final Map<String, Boolean> forwarded = new HashMap<>();
    private ServerVersion server;
    private long lastInsertNanos;
    private final Acknowledged acknowledged;

    /** Told of every insert ClickHouse acknowledged (for metrics). */
    public interface Acknowledged {
        /**
         * @param tview schema-qualified tview
         * @param lagMillis per row: commit of its refresh transaction → the acknowledgement
         */
        void inserted(String tview, int rows, long bytes, long[] lagMillis);

        /** An insert into the tview's table failed (it is retried, or the sink stops when the error is permanent). */
        default void failed(String tview) {
        }
    }

    /**
     * @param keyColumns the key column of a schema-qualified tview ({@code public.ta_sales}), null when not a tview
     */
    public ClickHouseSink(ClickHouseConfig config, PostgresSessions sessions, Function<String, String> keyColumns, Acknowledged acknowledged) {
        this.acknowledged = acknowledged;
        this.config = config;
        this.sessions = sessions;
        this.keyColumns = keyColumns;
        this.http = new ClickHouseHttp(config);
    }

    @Override
    public String name() {
        return "clickhouse";
    }

    /** True when events of this tview go to ClickHouse. */
    public static boolean selected(ClickHouseConfig config, TableName tview) {
        Set<String> names = "public".equals(tview.schema()) ? Set.of(tview.toString(), tview.name()) : Set.of(tview.toString());
        if (config.tviews().stream().anyMatch(names::contains)) {
            return true;
        }
        return tview.name().startsWith("ta_") && config.excluded().stream().noneMatch(names::contains);
    }

    @Override
    public List<Refused> deliver(List<RefreshEvent> events, List<Cascade> cascades) throws Exception {
        Map<String, List<RefreshEvent>> byTview = new LinkedHashMap<>();
        for (RefreshEvent e : events) {
            if (forwarded.computeIfAbsent(e.tview(), t -> selected(config, TableName.parse(t, "public")))) {
                byTview.computeIfAbsent(e.tview(), t -> new ArrayList<>()).add(e);
            }
        }
        if (byTview.isEmpty()) {
            return List.of();
        }
        connect();
        List<Refused> refused = new ArrayList<>();
        for (Map.Entry<String, List<RefreshEvent>> e : byTview.entrySet()) {
            ClickHouseTable table = table(e.getKey(), false);
            if (drifted(table, e.getValue())) {
                // the tview gained a column while running: re-read it, extend the table or stop (never drop the values)
                table = table(e.getKey(), true);
            }
            insert(table, e.getValue(), refused);
        }
        return refused;
    }

    /** True when an event carries a column the table does not know (the tview was altered since it was read). */
    private static boolean drifted(ClickHouseTable table, List<RefreshEvent> events) {
        if (table.document) {
            return false;
        }
        for (RefreshEvent e : events) {
            JsonNode row = e.data() == null ? null : e.data().tree();
            if (row != null && row.isObject()) {
                for (Iterator<String> it = row.fieldNames(); it.hasNext(); ) {
                    if (!table.columns.containsKey(it.next())) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private ClickHouseTable table(String tview, boolean reread) throws Exception {
        return table(tview, reread, null);
    }

    /** {@link #table(String, boolean)} reading the tview's columns on {@code postgres} (null: a connection of its own). */
    ClickHouseTable table(String tview, boolean reread, Connection postgres) throws Exception {
        ClickHouseTable t = tables.get(tview);
        if (t != null && !reread) {
            return t;
        }
        TableName name = TableName.parse(tview, "public");
        String key = keyColumns.apply(tview);
        if (key == null) {
            throw new PermanentFailure("events arrived for " + tview + ", which is not a tview this daemon maintains", null);
        }
        try (Connection own = postgres == null ? sessions.open("tviewd-clickhouse", config.timeout()) : null) {
            t = ClickHouseTable.of(postgres == null ? own : postgres, name, key, config.database(), server);
        } catch (SQLException e) {
            if (io.tviewd.connectors.postgres.refresh.Refresher.isConnectionFailure(e)) {
                throw e;
            }
            throw new PermanentFailure("cannot read the columns of tview " + tview + ": " + e.getMessage(), e);
        }
        List<String> problems = t.ensure(http, config.database(), server, config.autoAddColumns());
        if (!problems.isEmpty()) {
            throw new PermanentFailure(String.join("; ", problems), null);
        }
        tables.put(tview, t);
        return t;
    }

    private void insert(ClickHouseTable table, List<RefreshEvent> events, List<Refused> refused) throws Exception {
        insert(table, events, refused, true);
    }

    /** @param paced keep {@code clickhouse.flush-interval} between inserts (the stream); copies go as fast as ClickHouse takes them */
    private void insert(ClickHouseTable table, List<RefreshEvent> events, List<Refused> refused, boolean paced) throws Exception {
        Body body = new Body(Math.min(events.size(), config.maxBatchRows()) * 256);
        int rows = 0;
        long[] committed = new long[Math.min(events.size(), config.maxBatchRows())];
        // each row is written apart first: a value ClickHouse cannot hold refuses that row, not the ones around it
        ByteArrayOutputStream line = new ByteArrayOutputStream(1024);
        JsonGenerator g = JSON.createGenerator(line);
        g.setRootValueSeparator(null);
        for (RefreshEvent e : events) {
            line.reset();
            try {
                row(g, table, e);
                g.flush();
            } catch (ColumnType.Unrepresentable x) {
                refused.add(new Refused(e.tview(), e.keyText(), e.version(), x.getMessage()));
                // the generator stopped inside the row: a fresh one for the next
                g = JSON.createGenerator(line);
                g.setRootValueSeparator(null);
                continue;
            }
            line.write('\n');
            line.writeTo(body);
            // copies (mode backfill) are not commits: they stay out of the commit → acknowledged lag
            committed[rows] = "backfill".equals(e.mode()) ? -1 : e.committedAt().toEpochMilli();
            if (++rows >= config.maxBatchRows()) {
                send(table, body, committed, rows, paced);
                body.reset();
                rows = 0;
            }
        }
        if (rows > 0) {
            send(table, body, committed, rows, paced);
        }
    }

    private static void row(JsonGenerator g, ClickHouseTable table, RefreshEvent e) throws IOException, ColumnType.Unrepresentable {
        g.writeStartObject();
        ClickHouseTable.Column key = table.columns.get(table.key);
        g.writeFieldName(key.name());
        try {
            key.kind().write(g, e.key());
        } catch (ColumnType.Unrepresentable x) {
            throw new ColumnType.Unrepresentable("key " + e.keyText() + ": " + x.getMessage());
        }
        boolean delete = RefreshEvent.DELETE.equals(e.op());
        if (!delete) {
            // a document is written as the text the event carries (what a JSON column writes for its tree); a row's
            // columns are read from its tree
            JsonNode data = e.data() == null || table.document ? null : e.data().tree();
            for (ClickHouseTable.Column col : table.columns.values()) {
                if (col.name().equals(table.key)) {
                    continue;
                }
                g.writeFieldName(col.name());
                if (table.document) {
                    if (e.data() == null) {
                        g.writeNull();
                    } else {
                        g.writeString(e.data().json());
                    }
                    continue;
                }
                JsonNode value = data == null ? null : data.get(col.name());
                try {
                    col.kind().write(g, value);
                } catch (ColumnType.Unrepresentable x) {
                    throw new ColumnType.Unrepresentable("column " + col.name() + ": " + x.getMessage());
                }
            }
        }
        g.writeNumberField("_version", e.version());
        g.writeNumberField("_deleted", delete ? 1 : 0);
        g.writeEndObject();
    }

    /** An insert's body, handed to the HTTP client without a copy. */
    static final class Body extends ByteArrayOutputStream {
        Body(int size) {
            super(Math.max(size, 1024));
        }

        byte[] array() {
            return buf;
        }
    }

    private void send(ClickHouseTable table, Body body, long[] committed, int rows, boolean paced) throws Exception {
        long wait = lastInsertNanos + config.flushInterval().toNanos() - System.nanoTime();
        if (paced && lastInsertNanos != 0 && wait > 0) {
            // fewer, larger inserts: what commits meanwhile waits in the WAL for the next batch
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
        try {
            http.insertJsonEachRow(table.qualified, body.array(), body.size());
            long now = System.currentTimeMillis();
            long[] lag = java.util.Arrays.stream(committed, 0, rows).filter(t -> t >= 0).map(t -> now - t).toArray();
            acknowledged.inserted(table.tview.toString(), rows, body.size(), lag);
        } catch (IOException e) {
            acknowledged.failed(table.tview.toString());
            throw permanentOr(table, e);
        } finally {
            lastInsertNanos = System.nanoTime();
        }
    }

    /** An insert's failure: for good when ClickHouse says the statement or the data is wrong, else as it is (retried). */
    private Exception permanentOr(ClickHouseTable table, IOException e) {
        if (e instanceof ClickHouseException ch && ch.permanent()) {
            return new PermanentFailure("inserting into ClickHouse table " + config.database() + "." + table.name + " (tview "
                    + table.tview + ") failed for good: " + e.getMessage(), e);
        }
        return e;
    }

    /**
     * Pays the {@link InitialBackfill} debts, if any: copies every forwarded tview to ClickHouse in key order
     * ({@link ClickHouseCopy}, version 0), storing the last key after each chunk so a restart resumes there. Call
     * before the sink's stream starts (same thread).
     *
     * @param maintained schema-qualified names of the tviews the daemon maintains
     */
    public void backfillOwed(List<String> maintained) throws Exception {
        try (Connection c = sessions.open("tviewd-clickhouse", config.timeout())) {
            Map<String, String> owed = InitialBackfill.owed(c, InitialBackfill.INITIAL);
            if (owed.isEmpty()) {
                return;
            }
            if (owed.containsKey(InitialBackfill.ALL)) {
                InitialBackfill.expand(c, maintained.stream().filter(t -> selected(config, TableName.parse(t, "public"))).toList());
                owed = InitialBackfill.owed(c, InitialBackfill.INITIAL);
            }
            connect();
            ClickHouseCopy copy = new ClickHouseCopy(this, sessions);
            for (Map.Entry<String, String> debt : owed.entrySet()) {
                String tview = debt.getKey();
                if (keyColumns.apply(tview) == null || !selected(config, TableName.parse(tview, "public"))) {
                    LOG.info("ClickHouse backfill of {} dropped: it is no longer a forwarded tview", tview);
                    InitialBackfill.paid(c, tview, InitialBackfill.INITIAL);
                    continue;
                }
                long rows = copy.copy(c, table(tview, false), debt.getValue(), false, InitialBackfill.INITIAL, (done, total) -> { });
                InitialBackfill.paid(c, tview, InitialBackfill.INITIAL);
                LOG.info("ClickHouse backfill of {} done: {} rows copied (version 0: later events win)", tview, rows);
            }
        }
    }

    /** Inserts rows built from events (of one table), for {@link ClickHouseCopy}; returns the rows refused. */
    List<Refused> insertRows(ClickHouseTable table, List<RefreshEvent> rows) throws Exception {
        List<Refused> refused = new ArrayList<>();
        insert(table, rows, refused, false);
        return refused;
    }

    /**
     * Inserts {@code rows} JSONEachRow lines a copy built itself (at most {@code clickhouse.max-batch-rows}), unpaced; a
     * copy is not a commit, so it stays out of the commit → acknowledged lag.
     */
    void insertLines(ClickHouseTable table, ClickHouseHttp.RowsWriter lines, int rows) throws Exception {
        try {
            long bytes = http.insertJsonEachRow(table.qualified, lines);
            acknowledged.inserted(table.tview.toString(), rows, bytes, new long[0]);
        } catch (IOException e) {
            acknowledged.failed(table.tview.toString());
            throw permanentOr(table, e);
        }
    }

    int maxBatchRows() {
        return config.maxBatchRows();
    }

    String database() {
        return config.database();
    }

    ClickHouseHttp http() {
        return http;
    }

    synchronized void connect() throws Exception {
        if (server == null) {
            server = ServerVersion.parse(http.version());
            LOG.info("ClickHouse sink: server {} at {}, database {}", server.text(), config.endpoint(), config.database());
            http.execute("CREATE DATABASE IF NOT EXISTS " + ClickHouseHttp.quote(config.database()));
        }
    }

    @Override
    public void close() {
        // the HTTP client holds no connection between requests worth closing (keep-alive sockets die with it)
    }
}
