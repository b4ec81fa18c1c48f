package io.tviewd.connectors.debezium;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.postgresql.Driver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.tviewd.config.CdcConfig;
import io.tviewd.config.DatabaseConfig;
import io.tviewd.connectors.ChangeBatch;
import io.tviewd.connectors.ChangeHandler;
import io.tviewd.connectors.ChangeSource;
import io.tviewd.connectors.RowChange;
import io.tviewd.connectors.TableName;
import io.tviewd.connectors.events.EventHandler;
import io.tviewd.connectors.postgres.refresh.RefreshStatements;
import io.tviewd.connectors.postgres.state.JdbcOffsetBackingStore;
import io.tviewd.connectors.postgres.state.StateSchema;

/**
 * {@link ChangeSource} on Debezium Embedded (async engine, PostgreSQL connector, pgoutput).
 *
 * <p>Threading: the engine runs on its own single-thread executor and calls the handler on its
 * worker threads one batch at a time. Offsets: after the handler returns, records are marked
 * processed only up to the last transaction boundary (a transaction END event, or a heartbeat
 * outside any transaction), never in the middle of a transaction. Debezium ≤ 3.6 can skip rows
 * that share one LSN (COPY, multi-row INSERT) when it resumes inside a transaction; resuming only
 * at boundaries means a partially processed transaction is always replayed whole, and replay is
 * harmless because refresh is idempotent.
 */
public final class DebeziumChangeSource implements ChangeSource {

    private static final Logger LOG = LoggerFactory.getLogger(DebeziumChangeSource.class);
    /** Bound of Debezium's queue in bytes (besides {@code cdc.max-queue-size} records). */
    static final long MAX_QUEUE_BYTES = 64L * 1024 * 1024;
    private static final TableName HEARTBEAT_TABLE = TableName.parse(StateSchema.HEARTBEAT, StateSchema.SCHEMA);

    private final DatabaseConfig database;
    private final CdcConfig cdc;
    private final DebeziumRunner runner = new DebeziumRunner("cdc");
    /** True while the stream is between a transaction's BEGIN and END (engine threads only, one at a time). */
    private boolean inTransaction;
    /** Refresh events read from this stream too (see {@link #attachEvents}), or null. */
    private volatile DebeziumEventSource events;
    private volatile EventHandler eventHandler;

    public DebeziumChangeSource(DatabaseConfig database, CdcConfig cdc) {
        this.database = database;
        this.cdc = cdc;
    }

    /**
     * Also reads the refresh events from this stream (Debezium asks pgoutput for logical messages on PostgreSQL 14+,
     * so it receives them anyway) and hands each committed transaction's events to {@code handler} after the batch's
     * refresh. The handler must not block: offsets, stored only after both, then also stand for its position.
     * Call before {@link #start}.
     */
    public void attachEvents(DebeziumEventSource source, EventHandler handler) {
        this.events = source;
        this.eventHandler = handler;
    }

    @Override
    public CompletableFuture<Void> start(Set<TableName> tables, ChangeHandler handler) {
        Properties props = engineProperties(database, cdc, cdc.slotName(), cdc.publicationName(), cdc.topicPrefix());
        if (events == null) {
            // nothing here reads the refresh events (a row each): let Debezium drop them before they become records
            props.setProperty("message.prefix.exclude.list", RefreshStatements.EVENT_PREFIX);
        }
        return runner.start(props, records -> handleBatch(records, handler),
                () -> LOG.info("CDC streaming from slot {} (publication {}, {} tables)", cdc.slotName(),
                        cdc.publicationName(), tables.size()));
    }

    private int handleBatch(List<SourceRecord> records, ChangeHandler handler) throws InterruptedException {
        List<RowChange> changes = new ArrayList<>(records.size());
        int safe = -1;
        long newestTs = -1;
        long lastLsn = -1;
        String txTopic = cdc.topicPrefix() + ".transaction";
        String messageTopic = cdc.topicPrefix() + ".message";
        for (int i = 0; i < records.size(); i++) {
            SourceRecord r = records.get(i);
            if (r.sourceOffset() != null && r.sourceOffset().get("lsn") instanceof Long lsn) {
                lastLsn = Math.max(lastLsn, lsn);
            }
            if (!(r.value() instanceof Struct value)) {
                continue;
            }
            if (txTopic.equals(r.topic())) {
                String status = value.getString("status");
                inTransaction = "BEGIN".equals(status);
                if (!inTransaction) {
                    safe = i;
                }
                continue;
            }
            if (messageTopic.equals(r.topic()) || value.schema().field("op") == null || value.schema().field("source") == null) {
                // a refresh event (read by the event streams), a heartbeat or another control record
                if (!inTransaction) {
                    safe = i;
                }
                continue;
            }
            Struct source = value.getStruct("source");
            TableName table = new TableName(source.getString("schema"), source.getString("table"));
            if (HEARTBEAT_TABLE.equals(table)) {
                // the heartbeat's own write: a transaction that only moves the position forward
                if (!inTransaction) {
                    safe = i;
                }
                continue;
            }
            Long ts = source.getInt64("ts_ms");
            if (ts != null) {
                newestTs = Math.max(newestTs, ts);
            }
            Long txId = source.getInt64("txId");
            RowChange.Op op = switch (value.getString("op")) {
                case "c", "r" -> RowChange.Op.INSERT;
                case "u" -> RowChange.Op.UPDATE;
                case "d" -> RowChange.Op.DELETE;
                case "t" -> RowChange.Op.TRUNCATE;
                default -> null;
            };
            if (op == null) {
                continue;
            }
            changes.add(new RowChange(table, op, image(value, "before"), image(value, "after"), txId == null ? -1 : txId));
            if (!inTransaction) {
                safe = i;
            }
        }
        long lag = newestTs < 0 ? -1 : Math.max(0, System.currentTimeMillis() - newestTs);
        try {
            handler.handle(new ChangeBatch(changes, lag, lastLsn));
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("Refresh failed for a batch of " + changes.size() + " changes: " + e.getMessage(), e);
        }
        DebeziumEventSource attached = events;
        if (attached != null) {
            // both stop at the same transaction boundaries; the smaller index is safe for both
            safe = Math.min(safe, attached.handleBatch(records, eventHandler));
        }
        return safe;
    }

    private static Map<String, Object> image(Struct value, String name) {
        if (value.schema().field(name) == null) {
            return null;
        }
        Struct s = value.getStruct(name);
        if (s == null) {
            return null;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (Field f : s.schema().fields()) {
            out.put(f.name(), postgresValue(f.schema().name(), s.get(f)));
        }
        return out;
    }

    /**
     * A value as PostgreSQL reads it back: Debezium sends dates as epoch days and timestamps/times as epoch or day
     * micro/milliseconds, which a {@code CAST(? AS text[])::date[]} lookup would refuse; they become ISO text.
     */
    static Object postgresValue(String logicalType, Object v) {
        if (v == null || logicalType == null) {
            return v;
        }
        return switch (logicalType) {
            case "io.debezium.time.Date" -> java.time.LocalDate.ofEpochDay(((Number) v).longValue()).toString();
            case "io.debezium.time.Timestamp" -> java.time.LocalDateTime.ofEpochSecond(Math.floorDiv(((Number) v).longValue(), 1000),
                    (int) Math.floorMod(((Number) v).longValue(), 1000) * 1_000_000, java.time.ZoneOffset.UTC).toString();
            case "io.debezium.time.MicroTimestamp" -> java.time.LocalDateTime.ofEpochSecond(Math.floorDiv(((Number) v).longValue(), 1_000_000),
                    (int) Math.floorMod(((Number) v).longValue(), 1_000_000) * 1_000, java.time.ZoneOffset.UTC).toString();
            case "io.debezium.time.MicroTime" -> java.time.LocalTime.ofNanoOfDay(((Number) v).longValue() * 1_000).toString();
            case "io.debezium.time.Time" -> java.time.LocalTime.ofNanoOfDay(((Number) v).longValue() * 1_000_000).toString();
            default -> v;
        };
    }

    /**
     * Engine properties streaming {@code slot} and {@code publication}, offsets stored under the slot's name.
     * Each engine of one process needs its own {@code topicPrefix}: Debezium names its JMX beans after it.
     */
    static Properties engineProperties(DatabaseConfig database, CdcConfig cdc, String slot, String publication, String topicPrefix) {
        Properties url;
        try {
            url = Driver.parseURL(database.url(), new Properties());
        } catch (RuntimeException e) {
            url = null;
        }
        if (url == null) {
            throw new IllegalArgumentException("database.url '" + database.redactedUrl() + "' is not a valid PostgreSQL JDBC URL");
        }
        Properties p = new Properties();
        p.setProperty("name", "tviewd");
        p.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        p.setProperty("offset.storage", JdbcOffsetBackingStore.class.getName());
        p.setProperty(JdbcOffsetBackingStore.PREFIX + "url", database.url());
        p.setProperty(JdbcOffsetBackingStore.PREFIX + "user", database.user());
        p.setProperty(JdbcOffsetBackingStore.PREFIX + "password", database.password().reveal());
        p.setProperty(JdbcOffsetBackingStore.PREFIX + "store", slot);
        p.setProperty("offset.flush.interval.ms", Long.toString(cdc.offsetFlushInterval().toMillis()));
        p.setProperty("offset.flush.timeout.ms", "10000");
        p.setProperty("database.hostname", url.getProperty("PGHOST", "localhost").split(",")[0]);
        p.setProperty("database.port", url.getProperty("PGPORT", "5432").split(",")[0]);
        p.setProperty("database.dbname", url.getProperty("PGDBNAME"));
        // as for the daemon's own sessions, a user, password or TLS setting in the URL wins over the separate keys
        p.setProperty("database.user", url.getProperty("user", database.user()));
        p.setProperty("database.password", url.getProperty("password", database.password().reveal()));
        for (String ssl : List.of("sslmode", "sslrootcert", "sslcert", "sslkey", "sslpassword")) {
            if (url.getProperty(ssl) != null) {
                p.setProperty("database." + ssl, url.getProperty(ssl));
            }
        }
        p.setProperty("topic.prefix", topicPrefix);
        p.setProperty("plugin.name", "pgoutput");
        p.setProperty("slot.name", slot);
        p.setProperty("publication.name", publication);
        // The daemon owns the publication: it holds exactly the base tables the tviews read.
        p.setProperty("publication.autocreate.mode", "disabled");
        // No table.include.list: the publication decides what is streamed, so a cutover that adds tables to
        // the publication takes effect without restarting the engine.
        // tviews are populated and reconciled by the daemon itself: stream only.
        p.setProperty("snapshot.mode", "no_data");
        p.setProperty("poll.interval.ms", Long.toString(cdc.pollInterval().toMillis()));
        p.setProperty("heartbeat.interval.ms", Long.toString(cdc.heartbeatInterval().toMillis()));
        // pgoutput sends nothing while published tables are idle, so write a published row each beat:
        // its transaction reaches the daemon and lets the slot's confirmed position move on
        p.setProperty("heartbeat.action.query", StateSchema.HEARTBEAT_QUERY);
        p.setProperty("max.batch.size", Integer.toString(cdc.maxBatchSize()));
        p.setProperty("max.queue.size", Integer.toString(cdc.maxQueueSize()));
        // records of refresh-event messages carry up to 500 whole documents: bound the queue in bytes too, or a
        // backlog of them fills the heap (a 512 MB daemon died so in the benchmark)
        p.setProperty("max.queue.size.in.bytes", Long.toString(MAX_QUEUE_BYTES));
        p.setProperty("provide.transaction.metadata", "true");
        p.setProperty("skipped.operations", "none");
        p.setProperty("tombstones.on.delete", "false");
        p.setProperty("decimal.handling.mode", "string");
        p.setProperty("slot.drop.on.stop", "false");
        p.setProperty("record.processing.order", "ORDERED");
        return p;
    }

    @Override
    public boolean isStreaming() {
        return runner.isStreaming();
    }

    /**
     * Stops the engine: the in-flight batch finishes and commits, offsets are flushed, the
     * replication connection closes (releasing the slot).
     */
    @Override
    public void close() {
        runner.close();
    }
}
