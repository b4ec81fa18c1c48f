package io.tviewd.connectors.debezium;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;
import io.tviewd.config.CdcConfig;
import io.tviewd.config.DatabaseConfig;
import io.tviewd.config.EventsConfig;
import io.tviewd.connectors.events.EventData;
import io.tviewd.connectors.events.EventHandler;
import io.tviewd.connectors.events.RefreshEvent;
import io.tviewd.connectors.postgres.refresh.RefreshStatements;

/**
 * Reads refresh events back from the WAL: the transactional logical messages that refresh statements
 * emit ({@link RefreshStatements#EVENT_PREFIX}), streamed by a Debezium engine on a slot of its own, so
 * the stream keeps a durable position independent of CDC refresh and of other streams; or
 * {@linkplain #attached attached} to the CDC stream, which receives the same messages, for a sink that
 * never holds back (no second decoder of the WAL).
 *
 * <p>Events are handed over one committed transaction at a time, in commit order, coalesced to the last
 * event per (tview, key) of the transaction (earlier ones were never visible to readers), each
 * versioned with the transaction's commit LSN. Offsets are stored only at transaction boundaries and only
 * after the handler returned, so a crash replays whole transactions: events can repeat (same key and
 * version), never go missing.
 */
public final class DebeziumEventSource implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DebeziumEventSource.class);
    /**
     * Completed transactions' events held before they are handed over within one batch: at most this many events or
     * (by the same estimate as {@code events.max-transaction-bytes}) this many heap bytes of their documents. A sink
     * paces its deliveries (ClickHouse keeps {@code clickhouse.flush-interval} between inserts), so hand-overs of a
     * fixed 1,000 events capped a behind stream at 5,000 rows/s: the bound is on memory, not on the count.
     */
    static final int READY_EVENTS = 50_000;
    static final long READY_BYTES = 16L * 1024 * 1024;

    private final DatabaseConfig database;
    private final CdcConfig cdc;
    private final String slot;
    private final String publication;
    private final EventsConfig events;
    private final Function<String, String> typenames;
    /** The stream's own engine, or null when attached to the CDC stream. */
    private final DebeziumRunner runner;
    private final String topicPrefix;
    /** The key every genuine message carries ({@code tviewd.event_key}). */
    private final String eventKey;
    /** Told {@code malformed} or {@code forged} for every message skipped. */
    private final java.util.function.Consumer<String> onRejected;

    /** Events of the open transaction, keyed by tview and key (engine thread only). */
    private final Map<String, Pending> open = new LinkedHashMap<>();
    /** Events of an open transaction too large to hold, one JSON line each (engine thread only), or null. */
    private SpillFile spill;
    /** The open transaction could not be spilled (disk full or not writable): it stays in memory (engine thread only). */
    private boolean spillFailed;
    /** Where spill files go: {@code java.io.tmpdir}. */
    private java.nio.file.Path spillDirectory = java.nio.file.Path.of(System.getProperty("java.io.tmpdir"));
    private boolean inTransaction;

    /** An event of the open transaction: the event as its message gave it, the commit time and its share of the message's bytes. */
    record Pending(EventMessages.Event event, long committedMillis, long bytes) {
    }

    /** Bytes of the messages behind {@link #open} (engine thread only). */
    private long openBytes;

    /**
     * @param slot the stream's own replication slot (must exist)
     * @param publication a publication holding {@code tviewd.heartbeat}, so the slot advances on an idle database
     * @param typenames tview name ({@code public.tv_post}) → entity name in events
     * @param eventKey the key genuine messages carry; a message without it is skipped as forged
     * @param onRejected told {@code malformed} or {@code forged} for each message skipped
     */
    public DebeziumEventSource(DatabaseConfig database, CdcConfig cdc, String slot, String publication, EventsConfig events,
                               Function<String, String> typenames, String eventKey, java.util.function.Consumer<String> onRejected) {
        this.eventKey = eventKey;
        this.onRejected = onRejected;
        this.database = database;
        this.cdc = cdc;
        this.slot = slot;
        this.publication = publication;
        this.events = events;
        this.typenames = typenames;
        this.runner = slot == null ? null : new DebeziumRunner("events-" + slot);
        // the engine's logical name: unique per stream, as Debezium registers JMX beans under it
        this.topicPrefix = slot == null ? cdc.topicPrefix() : cdc.topicPrefix() + "_" + slot;
    }

    /**
     * A source without an engine of its own: {@link DebeziumChangeSource#attachEvents} feeds it the CDC stream's
     * records, and the CDC stream's offsets then also stand for this stream's position.
     */
    public static DebeziumEventSource attached(CdcConfig cdc, EventsConfig events, Function<String, String> typenames, String eventKey,
                                               java.util.function.Consumer<String> onRejected) {
        DebeziumEventSource source = new DebeziumEventSource(null, cdc, null, null, events, typenames, eventKey, onRejected);
        source.removeLeftoverSpills();
        return source;
    }

    /** Name prefix of this stream's spill files: one daemon at a time reads a slot, so its leftovers are its own. */
    private String spillPrefix() {
        return "tviewd-events-" + (slot == null ? "cdc-" + cdc.slotName().replaceAll("[^A-Za-z0-9_]", "_") : slot.replaceAll("[^A-Za-z0-9_]", "_")) + "-";
    }

    /** Removes spill files a previous run of this stream left behind (killed before it could delete them). */
    private void removeLeftoverSpills() {
        java.nio.file.Path dir = spillDirectory;
        try (var files = java.nio.file.Files.newDirectoryStream(dir, spillPrefix() + "*.jsonl")) {
            for (java.nio.file.Path f : files) {
                long size = java.nio.file.Files.size(f);
                java.nio.file.Files.deleteIfExists(f);
                LOG.info("Removed spill file {} ({} bytes) left by an earlier run of this event stream", f, size);
            }
        } catch (IOException e) {
            LOG.warn("Cannot look for spill files left in {}: {}", dir, e.getMessage());
        }
    }

    public CompletableFuture<Void> start(EventHandler handler) {
        if (runner == null) {
            throw new IllegalStateException("an attached event source is fed by the CDC stream; it has no engine to start");
        }
        removeLeftoverSpills();
        Properties props = DebeziumChangeSource.engineProperties(database, cdc, slot, publication, topicPrefix());
        return runner.start(props, records -> handleBatch(records, handler),
                () -> LOG.info("Event stream reading slot {}", slot));
    }

    private String topicPrefix() {
        return topicPrefix;
    }

    /**
     * Hands the events of every transaction that ends in this batch to the handler.
     *
     * @return the index of the last record whose offset may be stored (a transaction boundary), or -1
     */
    int handleBatch(List<SourceRecord> records, EventHandler handler) throws InterruptedException {
        List<RefreshEvent> ready = new ArrayList<>();
        long readyBytes = 0;
        int safe = -1;
        String txTopic = topicPrefix() + ".transaction";
        String messageTopic = topicPrefix() + ".message";
        for (int i = 0; i < records.size(); i++) {
            SourceRecord r = records.get(i);
            if (!(r.value() instanceof Struct value)) {
                continue;
            }
            if (txTopic.equals(r.topic())) {
                if ("BEGIN".equals(value.getString("status"))) {
                    inTransaction = true;
                    open.clear();
                    openBytes = 0;
                    spillFailed = false;
                    discardSpill();
                } else {
                    inTransaction = false;
                    // the END event's id carries the commit LSN (the BEGIN event's does not)
                    long commitLsn = commitLsn(value.getString("id"));
                    if (spill != null) {
                        deliver(ready, handler);
                        ready.clear();
                        readyBytes = 0;
                        deliverSpilled(commitLsn, handler);
                    } else {
                        readyBytes += openBytes;
                        ready.addAll(drain(commitLsn));
                        if (ready.size() >= READY_EVENTS || readyBytes >= READY_BYTES) {
                            // a batch can end thousands of transactions: hand them over as they complete instead of
                            // holding every parsed document of the batch (the offset still moves only after the batch)
                            deliver(ready, handler);
                            ready.clear();
                            readyBytes = 0;
                        }
                    }
                    safe = i;
                }
                continue;
            }
            if (messageTopic.equals(r.topic())) {
                Struct message = value.getStruct("message");
                if (message == null || !RefreshStatements.EVENT_PREFIX.equals(message.getString("prefix"))) {
                    continue;
                }
                Long ts = value.getStruct("source").getInt64("ts_ms");
                long committed = ts == null ? System.currentTimeMillis() : ts;
                List<EventMessages.Event> accepted;
                byte[] content = message.getBytes("content");
                try {
                    accepted = EventMessages.accept(content, eventKey);
                } catch (EventMessages.RejectedMessage e) {
                    // any role may call pg_logical_emit_message: never let one stop the stream or pose as an event
                    Object lsn = r.sourceOffset() == null ? null : r.sourceOffset().get("lsn");
                    LOG.warn("Skipped a {} logical message with prefix '{}' at LSN {}: {}", e.kind, RefreshStatements.EVENT_PREFIX, lsn,
                            e.getMessage());
                    onRejected.accept(e.kind);
                    continue;
                }
                // each event keeps its data as text: up to twice its bytes in the heap (a string with a character
                // beyond Latin-1 takes two bytes a character); count each event's share of its message that way
                long share = accepted.isEmpty() ? 0 : 2L * content.length / accepted.size();
                for (EventMessages.Event m : accepted) {
                    Pending p = new Pending(m, committed, share);
                    if (spill != null) {
                        try {
                            spill.append(p);
                            continue;
                        } catch (java.io.UncheckedIOException e) {
                            unspill(e);
                        }
                    }
                    String id = m.tview() + '\u0000' + m.key().toString();
                    Pending replaced = open.remove(id);
                    if (replaced != null) {
                        openBytes -= replaced.bytes();
                    }
                    open.put(id, p);
                    openBytes += p.bytes();
                    if (!spillFailed && (open.size() > events.maxTransactionEvents() || openBytes > events.maxTransactionBytes())) {
                        // bounded memory: keep the rest of this transaction on disk until its commit LSN is known
                        LOG.info("A refresh transaction holds more than {} events or {} bytes (events.max-transaction-events, "
                                + "events.max-transaction-bytes): spilling it to disk", events.maxTransactionEvents(), events.maxTransactionBytes());
                        try {
                            spill = new SpillFile(spillDirectory, spillPrefix());
                            open.values().forEach(spill::append);
                            open.clear();
                            openBytes = 0;
                        } catch (java.io.UncheckedIOException e) {
                            unspill(e);
                        }
                    }
                }
                continue;
            }
            if (!inTransaction) {
                safe = i;
            }
        }
        deliver(ready, handler);
        return safe;
    }

    private static void deliver(List<RefreshEvent> ready, EventHandler handler) throws InterruptedException {
        if (ready.isEmpty()) {
            return;
        }
        try {
            handler.handle(ready);
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("Delivering " + ready.size() + " events failed: " + e.getMessage(), e);
        }
    }

    /** Delivers a spilled transaction in parts of {@code events.max-transaction-events}, not coalesced per key. */
    private void deliverSpilled(long commitLsn, EventHandler handler) throws InterruptedException {
        try (SpillFile file = spill) {
            spill = null;
            List<RefreshEvent> part = new ArrayList<>();
            int seq = 0;
            for (Pending p : file.read()) {
                part.add(event(p, commitLsn, ++seq));
                if (part.size() >= events.maxTransactionEvents()) {
                    deliver(part, handler);
                    part = new ArrayList<>();
                }
            }
            deliver(part, handler);
        }
    }

    /**
     * The spill file cannot be written (a full disk, a directory gone): the events it holds come back into memory and
     * the rest of the transaction stays there, past the limits, rather than the stream failing on every restart.
     */
    private void unspill(java.io.UncheckedIOException cause) {
        LOG.error("Cannot spill a large refresh transaction to {}: {}. Keeping it in memory instead (past events.max-transaction-events "
                + "and events.max-transaction-bytes): free disk space there", spillDirectory, cause.getMessage());
        spillFailed = true;
        if (spill != null) {
            try (SpillFile file = spill) {
                spill = null;
                for (Pending q : file.read()) {
                    String id = q.event().tview() + '\u0000' + q.event().key().toString();
                    Pending replaced = open.remove(id);
                    openBytes += q.bytes() - (replaced == null ? 0 : replaced.bytes());
                    open.put(id, q);
                }
            }
        }
    }

    /** Spill files go to {@code dir} instead of {@code java.io.tmpdir} (tests: a directory that cannot be written). */
    void spillTo(java.nio.file.Path dir) {
        this.spillDirectory = dir;
    }

    private void discardSpill() {
        if (spill != null) {
            spill.close();
            spill = null;
        }
    }

    private List<RefreshEvent> drain(long commitLsn) {
        List<RefreshEvent> out = new ArrayList<>(open.size());
        int seq = 0;
        for (Pending p : open.values()) {
            out.add(event(p, commitLsn, ++seq));
        }
        open.clear();
        openBytes = 0;
        return out;
    }

    private RefreshEvent event(Pending p, long commitLsn, int seq) {
        EventMessages.Event m = p.event();
        // EventMessages has taken a document tview's data out of whole rows (format 2) already
        EventData data = events.includeData() ? m.data() : null;
        JsonNode c = m.context();
        if (c != lastContext) {
            // the events of one message share their context node: read its lists once
            List<String> tables = new ArrayList<>();
            c.path("s").forEach(n -> tables.add(n.asText()));
            List<Long> txids = new ArrayList<>();
            c.path("x").forEach(n -> txids.add(n.asLong()));
            lastContext = c;
            lastTables = List.copyOf(tables);
            lastTxids = List.copyOf(txids);
        }
        return new RefreshEvent(m.tview(), typenames.apply(m.tview()), m.key(), "d".equals(m.op()) ? RefreshEvent.DELETE : RefreshEvent.UPSERT,
                "i".equals(m.op()), data, commitLsn, seq, m.txid(), lastTables, lastTxids, c.path("xt").asBoolean(false),
                Instant.ofEpochMilli(p.committedMillis()), m.refreshedAt(), c.path("m").asText("unknown"));
    }

    /** The context node last read by {@link #event} and its lists (engine thread only). */
    private JsonNode lastContext;
    private List<String> lastTables = List.of();
    private List<Long> lastTxids = List.of();

    /** The commit LSN from a Debezium PostgreSQL transaction id ({@code txId:commitLsn}). */
    static long commitLsn(String transactionId) {
        int colon = transactionId == null ? -1 : transactionId.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalStateException("Unexpected transaction id '" + transactionId + "': expected txId:lsn");
        }
        return Long.parseLong(transactionId.substring(colon + 1));
    }

    public boolean isStreaming() {
        return runner != null && runner.isStreaming();
    }

    @Override
    public void close() {
        if (runner != null) {
            runner.close();
        }
        discardSpill();
    }
}
