package io.tviewd.daemon;

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
import io.tviewd.connectors.debezium.DebeziumEventSource;
import io.tviewd.connectors.kafka.KafkaEventSink;
import io.tviewd.connectors.postgres.ReplicationSetup;
import io.tviewd.connectors.postgres.StateSchema;
import io.vertx.core.Vertx;

/**
 * The event streams: each reads the refresh events back from the WAL on a replication slot of its own
 * ({@code <cdc.slot-name>_ev_<stream>}), so each keeps a durable position of its own. Stream {@code live}
 * feeds SSE and the event bus (its position advances as soon as they have the events); stream
 * {@code kafka} (when {@code kafka.bootstrap-servers} is set) advances only after Kafka acknowledged.
 * A stream whose sink is down waits without holding refresh back.
 */
final class EventStreams implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EventStreams.class);

    private final TviewdConfig config;
    private final DaemonMetrics metrics;
    private final Function<String, String> typenames;
    private final List<DebeziumEventSource> sources = new ArrayList<>();
    private final Map<String, CompletableFuture<Void>> running = new LinkedHashMap<>();
    private final List<SinkDelivery> deliveries = new ArrayList<>();
    private LiveEvents live;
    private long liveCoveredFrom;

    EventStreams(TviewdConfig config, DaemonMetrics metrics, Function<String, String> typenames) {
        this.config = config;
        this.metrics = metrics;
        this.typenames = typenames;
    }

    /** The streams this configuration runs. */
    List<String> streams() {
        List<String> out = new ArrayList<>(List.of("live"));
        if (config.kafka().enabled()) {
            out.add("kafka");
        }
        return out;
    }

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
    void prepare(Connection c, ReplicationSetup setup, Retry slotWait) throws Exception {
        int version;
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SHOW server_version_num")) {
            rs.next();
            version = Integer.parseInt(rs.getString(1));
        }
        if (version < 140000) {
            throw new IllegalStateException("Refresh events need PostgreSQL 14 or later (pgoutput decodes logical messages from 14 on); "
                    + "this server is " + version + ": upgrade, or set events.enabled=false (TVIEWD_EVENTS_ENABLED=false)");
        }
        setup.syncPublication(publication(config), Set.of(TableName.parse(StateSchema.HEARTBEAT, StateSchema.SCHEMA)));
        for (String stream : streams()) {
            String slot = slot(config, stream);
            slotWait.call("claiming replication slot " + slot, () -> setup.ensureSlot(slot),
                    e -> e instanceof ReplicationSetup.SlotInUseException);
        }
        liveCoveredFrom = confirmedLsn(c, slot(config, "live"));
    }

    private static long confirmedLsn(Connection c, String slot) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT confirmed_flush_lsn - '0/0'::pg_lsn FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        }
    }

    /** Starts every stream; completes exceptionally (per stream, logged) when one dies. */
    void start(Vertx vertx) {
        live = new LiveEvents(vertx, config.events(), metrics, liveCoveredFrom);
        start("live", live);
        if (config.kafka().enabled()) {
            SinkDelivery kafka = new SinkDelivery(new KafkaEventSink(config.kafka()), config.events().cascade(),
                    config.kafka().retryBackoff(), metrics);
            deliveries.add(kafka);
            start("kafka", kafka);
        }
    }

    private void start(String stream, io.tviewd.connectors.events.EventHandler handler) {
        DebeziumEventSource source = new DebeziumEventSource(config.database(), config.cdc(), slot(config, stream),
                publication(config), config.events(), typenames);
        sources.add(source);
        running.put(stream, source.start(events -> {
            metrics.eventsReceived(stream, events.size());
            handler.handle(events);
        }).whenComplete((v, e) -> {
            if (e != null) {
                LOG.error("Event stream {} stopped: {}", stream, e.getMessage(), e);
            }
        }));
    }

    LiveEvents live() {
        return live;
    }

    List<SinkDelivery> deliveries() {
        return deliveries;
    }

    /** Per stream: null when it streams, otherwise why not. */
    Map<String, String> problems() {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < sources.size(); i++) {
            String stream = new ArrayList<>(running.keySet()).get(i);
            CompletableFuture<Void> f = running.get(stream);
            String problem = null;
            if (f.isCompletedExceptionally()) {
                problem = "stopped: " + f.handle((v, e) -> e.getMessage()).join();
            } else if (!sources.get(i).isStreaming()) {
                problem = "not streaming yet";
            }
            out.put(stream, problem);
        }
        return out;
    }

    @Override
    public void close() {
        deliveries.forEach(SinkDelivery::stopRetrying);
        sources.forEach(DebeziumEventSource::close);
        deliveries.forEach(SinkDelivery::close);
    }
}
