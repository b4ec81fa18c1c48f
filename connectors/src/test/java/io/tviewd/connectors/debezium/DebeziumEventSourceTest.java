package io.tviewd.connectors.debezium;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

import io.tviewd.config.ConfigLoader;
import io.tviewd.config.TviewdConfig;
import io.tviewd.connectors.events.RefreshEvent;

class DebeziumEventSourceTest {

    @Test
    void commitLsn_isTheNumberAfterTheColon() {
        assertThat(DebeziumEventSource.commitLsn("751:26320064")).isEqualTo(26320064L);
        assertThatThrownBy(() -> DebeziumEventSource.commitLsn("751")).hasMessageContaining("expected txId:lsn");
    }

    private static final Schema TX = SchemaBuilder.struct().field("status", Schema.STRING_SCHEMA).field("id", Schema.STRING_SCHEMA).build();
    private static final Schema MESSAGE = SchemaBuilder.struct().field("prefix", Schema.STRING_SCHEMA).field("content", Schema.BYTES_SCHEMA).build();
    private static final Schema SOURCE = SchemaBuilder.struct().field("ts_ms", Schema.OPTIONAL_INT64_SCHEMA).build();
    private static final Schema MESSAGE_VALUE = SchemaBuilder.struct().field("message", MESSAGE).field("source", SOURCE).build();

    /**
     * One transaction of {@code messages} messages, each an event of its own key with a document of {@code docBytes}, the
     * first and the last for the same key {@code dup}.
     */
    private static List<SourceRecord> transaction(String prefix, int messages, int docBytes) {
        List<SourceRecord> out = new ArrayList<>();
        out.add(new SourceRecord(Map.of(), Map.of(), prefix + ".transaction", TX, new Struct(TX).put("status", "BEGIN").put("id", "7:100")));
        String doc = "x".repeat(docBytes);
        for (int i = 0; i < messages; i++) {
            String json = "{\"v\":2,\"a\":\"key\",\"t\":\"public.tv_post\",\"c\":{\"m\":\"cdc\",\"s\":[],\"x\":[]},\"x\":7,"
                    + "\"r\":\"2026-12-02T00:00:00Z\",\"e\":[[\"u\",\"" + (i == 0 || i == messages - 1 ? "dup" : "k" + i) + "\",{\"data\":{\"n\":" + i + ",\"body\":\"" + doc + "\"}}]]}";
            Struct value = new Struct(MESSAGE_VALUE)
                    .put("message", new Struct(MESSAGE).put("prefix", "tviewd").put("content", json.getBytes(StandardCharsets.UTF_8)))
                    .put("source", new Struct(SOURCE).put("ts_ms", 1L));
            out.add(new SourceRecord(Map.of(), Map.of("lsn", 1000L + i), prefix + ".message", MESSAGE_VALUE, value));
        }
        out.add(new SourceRecord(Map.of(), Map.of(), prefix + ".transaction", TX, new Struct(TX).put("status", "END").put("id", "7:2000")));
        return out;
    }

    private static List<RefreshEvent> deliver(TviewdConfig config, List<SourceRecord> records) throws Exception {
        DebeziumEventSource source = DebeziumEventSource.attached(config.cdc(), config.events(), t -> "Post", "key", kind -> { });
        List<RefreshEvent> delivered = new ArrayList<>();
        source.handleBatch(records, delivered::addAll);
        return delivered;
    }

    @Test
    void aTransactionOverTheByteLimit_spillsToDisk_andLeavesNoFile_whileOneUnderItIsCoalescedInMemory() throws Exception {
        TviewdConfig small = ConfigLoader.load(null, Map.of("TVIEWD_CDC_SLOT_NAME", "spill_test", "TVIEWD_EVENTS_MAX_TRANSACTION_BYTES", "1MB"));
        TviewdConfig large = ConfigLoader.load(null, Map.of("TVIEWD_CDC_SLOT_NAME", "spill_test"));
        String prefix = small.cdc().topicPrefix();
        // 30 messages of 100 kB: 3 MB of messages but 30 events, far under events.max-transaction-events
        List<RefreshEvent> inMemory = deliver(large, transaction(prefix, 30, 100_000));
        assertThat(inMemory.stream().map(e -> e.keyText()).toList()).as("coalesced per key in memory").hasSize(29).containsOnlyOnce("dup");
        assertThat(inMemory.stream().filter(e -> e.keyText().equals("dup")).findFirst().orElseThrow().data().tree().get("n").asInt()).isEqualTo(29);

        List<RefreshEvent> spilled = deliver(small, transaction(prefix, 30, 100_000));
        assertThat(spilled.stream().map(e -> e.keyText()).filter("dup"::equals).count())
                .as("past 1 MB the transaction went to disk and is delivered uncoalesced").isEqualTo(2);
        assertThat(spilled).hasSize(30).allMatch(e -> e.version() == spilled.get(0).version());
        try (var left = Files.newDirectoryStream(Path.of(System.getProperty("java.io.tmpdir")), "tviewd-events-cdc-spill_test-*")) {
            assertThat(left).as("spill files left after delivery").isEmpty();
        }
    }

    @Test
    void completedTransactions_areHandedOverByMemoryNotByAFixedCount() throws Exception {
        TviewdConfig config = ConfigLoader.load(null, Map.of("TVIEWD_CDC_SLOT_NAME", "ready_test"));
        String prefix = config.cdc().topicPrefix();
        DebeziumEventSource source = DebeziumEventSource.attached(config.cdc(), config.events(), t -> "Post", "key", kind -> { });
        List<Integer> handOvers = new ArrayList<>();
        // 3,000 small transactions in one batch: one hand-over (a paced sink then inserts them at once, not in 3 waits)
        List<SourceRecord> small = new ArrayList<>();
        for (int i = 0; i < 3_000; i++) {
            small.addAll(transaction(prefix, 1, 100));
        }
        source.handleBatch(small, events -> handOvers.add(events.size()));
        assertThat(handOvers).containsExactly(3_000);

        // 40 transactions of one 1 MB document: handed over as their documents reach DebeziumEventSource.READY_BYTES
        handOvers.clear();
        List<SourceRecord> large = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            large.addAll(transaction(prefix, 1, 1_000_000));
        }
        source.handleBatch(large, events -> handOvers.add(events.size()));
        assertThat(handOvers.stream().mapToInt(Integer::intValue).sum()).as("every event delivered").isEqualTo(40);
        assertThat(handOvers).as("several hand-overs, each within the memory bound").hasSizeGreaterThan(2)
                .allMatch(n -> 2L * 1_000_000 * (n - 1) < DebeziumEventSource.READY_BYTES);
    }

    @Test
    void aSpillThatCannotBeWritten_keepsTheTransactionInMemory_andLosesNothing() throws Exception {
        TviewdConfig small = ConfigLoader.load(null, Map.of("TVIEWD_CDC_SLOT_NAME", "spill_full", "TVIEWD_EVENTS_MAX_TRANSACTION_BYTES", "1MB"));
        DebeziumEventSource source = DebeziumEventSource.attached(small.cdc(), small.events(), t -> "Post", "key", kind -> { });
        // a directory that does not exist stands for a full disk: creating or writing the file fails
        source.spillTo(Path.of(System.getProperty("java.io.tmpdir"), "tviewd-no-such-dir", "spill"));
        List<RefreshEvent> delivered = new ArrayList<>();
        source.handleBatch(transaction(small.cdc().topicPrefix(), 30, 100_000), delivered::addAll);
        assertThat(delivered.stream().map(e -> e.keyText()).toList()).as("every key, coalesced in memory").hasSize(29).containsOnlyOnce("dup");
        assertThat(delivered.stream().filter(e -> e.keyText().equals("dup")).findFirst().orElseThrow().data().tree().get("n").asInt()).isEqualTo(29);
        // the next large transaction tries the disk again, and still delivers everything
        delivered.clear();
        source.handleBatch(transaction(small.cdc().topicPrefix(), 12, 100_000), delivered::addAll);
        assertThat(delivered).hasSize(11);
    }

    @Test
    void spillFilesAStreamLeftBehind_areRemovedWhenItStarts_othersStay() throws Exception {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        Path mine = Files.writeString(tmp.resolve("tviewd-events-cdc-leftover_test-123.jsonl"), "1 2 {}\n");
        Path other = Files.writeString(tmp.resolve("tviewd-events-cdc-someone_else-123.jsonl"), "1 2 {}\n");
        try {
            TviewdConfig config = ConfigLoader.load(null, Map.of("TVIEWD_CDC_SLOT_NAME", "leftover_test"));
            DebeziumEventSource.attached(config.cdc(), config.events(), t -> "Post", "key", kind -> { });
            assertThat(mine).doesNotExist();
            assertThat(other).exists();
        } finally {
            Files.deleteIfExists(mine);
            Files.deleteIfExists(other);
        }
    }
}
