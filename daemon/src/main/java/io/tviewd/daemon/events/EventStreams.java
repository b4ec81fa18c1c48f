package io.tviewd.daemon.events;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.tviewd.config.TviewdConfig;
import io.tviewd.connectors.TableName;
import io.tviewd.connectors.debezium.DebeziumChangeSource;
import io.tviewd.connectors.debezium.DebeziumEventSource;
import io.tviewd.connectors.clickhouse.ClickHouseSink;
import io.tviewd.connectors.kafka.KafkaEventSink;
import io.tviewd.connectors.postgres.replication.ReplicationSetup;
import io.tviewd.connectors.postgres.state.StateSchema;
import io.tviewd.daemon.metrics.DaemonMetrics;
import io.tviewd.daemon.retry.Retry;
import io.vertx.core.Vertx;

/**
 * The event streams, which read the refresh events back from the WAL. Stream {@code live} feeds SSE and the
 * event bus, which never hold back: it reads the CDC stream's records (the CDC slot receives the events
 * anyway), so the WAL is decoded once for both, and the CDC position stands for its position too. Stream
 * {@code kafka} (when {@code kafka.bootstrap-servers} is set) has a replication slot of its own
 * ({@code <cdc.slot-name>_ev_kafka}) and advances only after Kafka acknowledged: a Kafka outage does not
 * hold refresh back. Stream {@code clickhouse} (when {@code clickhouse.url} is set) likewise, on
 * {@code <cdc.slot-name>_ev_clickhouse}, advancing only after ClickHouse acknowledged the inserts.
 */
public final class EventStreams implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EventStreams.class);

    private final TviewdConfig config;
    private final DaemonMetrics metrics;
    private final Function<String, String> typenames;
    private final List<Running> running = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<SinkDelivery> deliveries = new ArrayList<>();
    private LiveEvents live;
    /** The key genuine refresh-event messages carry, read at {@link #prepare}. */
    private String eventKey;
    private java.util.function.BiConsumer<String, Throwable> onDeath = (s, e) -> { };

    private final io.tviewd.connectors.postgres.PostgresSessions sessions;
    private final Function<String, String> keyColumns;
    private final java.util.function.Supplier<List<String>> tviews;
    /** Set by {@link #close} (guarded by {@link #running}). */
    private boolean closed;

    /**
     * @param sessions for sinks that read the catalog (ClickHouse reads the columns of the tviews it forwards)
     * @param keyColumns key column of a maintained tview by schema-qualified name, null when none
     */
    public EventStreams(TviewdConfig config, DaemonMetrics metrics, Function<String, String> typenames,
                        io.tviewd.connectors.postgres.PostgresSessions sessions, Function<String, String> keyColumns,
                        java.util.function.Supplier<List<String>> tviews) {
        this.tviews = tviews;
        this.sessions = sessions;
        this.keyColumns = keyColumns;
        this.config = config;
        this.metrics = metrics;
        this.typenames = typenames;
    }

    /** The streams this configuration runs on replication slots of their own. */
    public List<String> streams() {
        List<String> out = new ArrayList<>();
        if (config.kafka().enabled()) {
            out.add("kafka");
        }
        if (config.clickhouse().enabled()) {
            out.add("clickhouse");
        }
        return out;
    }

    /** The stream of SSE and the event bus (until it read the CDC stream it had a slot of its own, {@code <slot>_ev_live}). */
    private static final String LIVE = "live";

    static String slot(TviewdConfig config, String stream) {
        return config.cdc().slotName() + "_ev_" + stream;
    }

    static String publication(TviewdConfig config) {
        return config.cdc().publicationName() + "_events";
    }

    /**
     * Creates what the streams read from, before any refresh runs so no event is emitted before its slot
     * exists: the publication (only {@code tviewd.heartbeat}, so an idle slot still advances) and the slots.
     */
    public void prepare(Connection c, ReplicationSetup setup, Retry slotWait) throws Exception {
        int version;
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SHOW server_version_num")) {
            rs.next();
            version = Integer.parseInt(rs.getString(1));
        }
        if (version < 140000) {
            throw new IllegalStateException("Refresh events need PostgreSQL 14 or later (pgoutput decodes logical messages from 14 on); "
                    + "this server is " + version + ": upgrade, or set events.enabled=false (TVIEWD_EVENTS_ENABLED=false)");
        }
        eventKey = StateSchema.eventKey(c);
        setup.syncPublication(publication(config), Set.of(TableName.parse(StateSchema.HEARTBEAT, StateSchema.SCHEMA)));
        for (String stream : streams()) {
            String slot = slot(config, stream);
            if ("clickhouse".equals(stream) && !slotExists(c, slot)) {
                // a new slot streams only what comes after it: owe ClickHouse the rows that exist already, before the slot exists
                io.tviewd.connectors.clickhouse.InitialBackfill.oweAll(c);
            }
            boolean created = slotWait.call("claiming replication slot " + slot, () -> setup.ensureSlot(slot),
                    e -> e instanceof ReplicationSetup.SlotInUseException);
            if (created && setup.discardOrphanedOffsets(slot)) {
                LOG.error("Replication slot {} of event stream {} was missing or lost although positions for it were stored (dropped by "
                        + "a DBA, a failover, or max_slot_wal_keep_size): the refresh events committed since its last stored position "
                        + "cannot be delivered; the stream starts from the new slot (consumers should re-read the affected tviews)",
                        slot, stream);
            }
        }
        String retired = slot(config, LIVE);
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                + "WHERE slot_name = ? AND NOT active")) {
            ps.setString(1, retired);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    LOG.info("Dropped replication slot {}: SSE and the event bus now read the events from the CDC stream", retired);
                }
            }
        }
    }

    private static boolean slotExists(Connection c, String slot) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /**
     * Feeds SSE and the event bus from the CDC stream; call before it starts. Its slot must exist: the
     * retention window starts where the stream resumes.
     */
    public void attachLive(Connection c, Vertx vertx, DebeziumChangeSource cdc) throws SQLException {
        live = new LiveEvents(vertx, config.events(), metrics, resumePosition(c, config.cdc().slotName()));
        if (eventKey == null) {
            eventKey = StateSchema.eventKey(c);
        }
        DebeziumEventSource source = DebeziumEventSource.attached(config.cdc(), config.events(), typenames, eventKey,
                kind -> metrics.eventMessageRejected(LIVE, kind));
        cdc.attachEvents(source, events -> {
            metrics.eventsReceived(LIVE, events.size());
            live.handle(events);
        });
        running.add(new Running(LIVE, source, cdc::isStreaming, new CompletableFuture<>()));
    }

    /**
     * Warns about event slots of this daemon that no stream reads any more (Kafka switched off, events
     * disabled): they retain WAL until dropped.
     */
    public static void warnUnusedSlots(Connection c, TviewdConfig config, List<String> streams) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT slot_name, pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_lsn(), "
                + "restart_lsn)) FROM pg_replication_slots WHERE slot_name LIKE ? AND NOT active ORDER BY 1")) {
            ps.setString(1, config.cdc().slotName().replace("_", "\\_") + "\\_ev\\_%");
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String slot = rs.getString(1);
                    if (streams.stream().noneMatch(s -> slot(config, s).equals(slot))) {
                        LOG.warn("Replication slot {} belongs to an event stream this configuration does not run; it retains {} of WAL. "
                                + "Drop it if it is no longer needed: SELECT pg_drop_replication_slot('{}')", slot, rs.getString(2), slot);
                    }
                }
            }
        }
    }

    /**
     * Where the CDC stream resumes: its stored offset, or the slot's confirmed position when that is further on
     * (the offset is stored first, the slot confirmed after it).
     */
    private static long resumePosition(Connection c, String slot) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT greatest("
                + "(SELECT confirmed_flush_lsn - '0/0'::pg_lsn FROM pg_replication_slots WHERE slot_name = ?), "
                + "(SELECT max((convert_from(value, 'UTF8')::jsonb ->> 'lsn')::numeric) FROM " + StateSchema.OFFSETS + " WHERE store = ?), 0)")) {
            ps.setString(1, slot);
            ps.setString(2, slot);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** Starts the streams with slots of their own; {@code onDeath} is called (once per stream) when one dies. */
    public void start(java.util.function.BiConsumer<String, Throwable> onDeath) {
        this.onDeath = onDeath;
        if (config.kafka().enabled()) {
            SinkDelivery kafka = new SinkDelivery(new KafkaEventSink(config.kafka()), config.events().cascade(),
                    config.kafka().retryBackoff(), metrics);
            deliveries.add(kafka);
            start("kafka", kafka);
        }
        if (config.clickhouse().enabled()) {
            ClickHouseSink sink = new ClickHouseSink(config.clickhouse(), sessions, keyColumns, new ClickHouseSink.Acknowledged() {
                @Override
                public void inserted(String tview, int rows, long bytes, long[] lagMillis) {
                    metrics.clickhouseInserted(tview, rows, bytes, lagMillis);
                }

                @Override
                public void failed(String tview) {
                    metrics.clickhouseFailed(tview);
                }
            });
            SinkDelivery clickhouse = new SinkDelivery(sink, false, config.clickhouse().retryBackoff(), metrics);
            deliveries.add(clickhouse);
            // the rows that predate the sink's slot first (same thread as the deliveries after it: the sink is not thread-safe)
            Thread backfill = new Thread(() -> {
                try {
                    clickhouse.prepare("initial backfill", () -> {
                        sink.backfillOwed(tviews.get());
                        return null;
                    });
                    synchronized (running) {
                        if (!closed) {
                            start("clickhouse", clickhouse);
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (Exception e) {
                    LOG.error("ClickHouse initial backfill failed: {}", e.getMessage(), e);
                    onDeath.accept("clickhouse", e);
                }
            }, "tviewd-clickhouse-backfill");
            backfill.setDaemon(true);
            backfill.start();
        }
    }

    private void start(String stream, io.tviewd.connectors.events.EventHandler handler) {
        DebeziumEventSource source = new DebeziumEventSource(config.database(), config.cdc(), slot(config, stream),
                publication(config), config.events(), typenames, eventKey, kind -> metrics.eventMessageRejected(stream, kind));
        CompletableFuture<Void> done = source.start(events -> {
            metrics.eventsReceived(stream, events.size());
            handler.handle(events);
        }).whenComplete((v, e) -> {
            if (e != null) {
                LOG.error("Event stream {} stopped: {}", stream, e.getMessage(), e);
                onDeath.accept(stream, e);
            }
        });
        running.add(new Running(stream, source, source::isStreaming, done));
    }

    private record Running(String stream, DebeziumEventSource source, java.util.function.BooleanSupplier streaming,
                           CompletableFuture<Void> done) {
    }

    public LiveEvents live() {
        return live;
    }

    public List<SinkDelivery> deliveries() {
        return deliveries;
    }

    /** Per stream: null when it streams, otherwise why not. */
    public Map<String, String> problems() {
        Map<String, String> out = new LinkedHashMap<>();
        for (Running r : running) {
            String problem = null;
            if (r.done().isCompletedExceptionally()) {
                problem = "stopped: " + r.done().handle((v, e) -> e.getMessage()).join();
            } else if (!r.streaming().getAsBoolean()) {
                problem = "not streaming";
            }
            out.put(r.stream(), problem);
        }
        return out;
    }

    @Override
    public void close() {
        deliveries.forEach(SinkDelivery::stopRetrying);
        synchronized (running) {
            // a stream whose start waited for its backfill must not start after this
            closed = true;
            running.forEach(r -> r.source().close());
        }
        deliveries.forEach(SinkDelivery::close);
    }
}
