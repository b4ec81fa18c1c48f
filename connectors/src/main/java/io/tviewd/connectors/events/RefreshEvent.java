package io.tviewd.connectors.events;

import java.time.Instant;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One committed change to one tview row, as delivered to subscribers (the public event schema, see
 * README "Refresh events").
 *
 * @param tview schema-qualified tview ({@code public.tv_post})
 * @param typename entity name ({@code Post})
 * @param key the row's key as JSON (number or string, as the key column renders)
 * @param op {@code upsert} or {@code delete}
 * @param created for an upsert: the row did not exist before this transaction's statement
 * @param data the new document (column {@code data}) or row, as its JSON text; null for deletes or when events carry no data
 * @param version commit LSN of the refresh transaction: increases per key, consumers dedupe by (key, version)
 * @param seq position of this event within its transaction, from 1
 * @param txid the refresh transaction
 * @param sourceTables base tables whose changes caused the refresh (empty for scheduled, manual, repair)
 * @param sourceTxids transactions that changed them (at most 64; {@code sourceTxidsTruncated} when more)
 * @param committedAt commit time of the refresh transaction
 * @param refreshedAt when the row was recomputed (inside the transaction)
 * @param mode what drove the refresh: cdc, trigger, scheduled, manual, repair, populate
 */
public record RefreshEvent(String tview, String typename, JsonNode key, String op, boolean created, EventData data,
                           long version, int seq, long txid, List<String> sourceTables, List<Long> sourceTxids,
                           boolean sourceTxidsTruncated, Instant committedAt, String refreshedAt, String mode) {

    public static final String UPSERT = "upsert";
    public static final String DELETE = "delete";

    private static final ObjectMapper JSON = new ObjectMapper();

    public RefreshEvent {
        sourceTables = List.copyOf(sourceTables);
        sourceTxids = List.copyOf(sourceTxids);
    }

    /** The key as text: the Kafka record key and what consumers group by. */
    public String keyText() {
        return key.isTextual() ? key.textValue() : key.toString();
    }

    /** {@code version} in PostgreSQL's LSN notation ({@code 16/B374D848}). */
    public String lsn() {
        return Long.toHexString(version >>> 32).toUpperCase() + "/" + Long.toHexString(version & 0xFFFFFFFFL).toUpperCase();
    }

    /** The event as JSON, its data embedded as the text it is (the tree of the data is not built). */
    public ObjectNode toJson() {
        return toJson(false);
    }

    private ObjectNode toJson(boolean dataTree) {
        ObjectNode o = JSON.createObjectNode();
        o.put("tview", tview);
        o.put("typename", typename);
        o.set("key", key);
        o.put("op", op);
        if (UPSERT.equals(op)) {
            o.put("created", created);
        }
        if (data == null) {
            o.putNull("data");
        } else if (dataTree) {
            o.set("data", data.tree());
        } else {
            o.putRawValue("data", new com.fasterxml.jackson.databind.util.RawValue(data.json()));
        }
        o.put("version", version);
        o.put("lsn", lsn());
        o.put("seq", seq);
        o.put("txid", txid);
        ObjectNode source = o.putObject("source");
        ArrayNode tables = source.putArray("tables");
        sourceTables.forEach(tables::add);
        ArrayNode txids = source.putArray("txids");
        sourceTxids.forEach(txids::add);
        source.put("txids_truncated", sourceTxidsTruncated);
        o.put("committed_at", committedAt.toString());
        o.put("refreshed_at", refreshedAt);
        o.put("mode", mode);
        return o;
    }

    /** The event as nested maps and lists (the JSON object of {@link #toJson()}), converted without writing text. */
    @SuppressWarnings("unchecked")
    public java.util.Map<String, Object> toMap() {
        return JSON.convertValue(toJson(true), java.util.Map.class);
    }

    /** The event as one line of JSON. */
    public String toJsonString() {
        return toJson().toString();
    }

    /** Parses {@link #toJsonString()} back (consumers in tests and tools). */
    public static RefreshEvent parse(String json) {
        try {
            JsonNode n = JSON.readTree(json);
            JsonNode source = n.get("source");
            return new RefreshEvent(n.get("tview").asText(), n.get("typename").asText(), n.get("key"), n.get("op").asText(),
                    n.path("created").asBoolean(false), n.get("data").isNull() ? null : EventData.of(n.get("data")), n.get("version").asLong(),
                    n.get("seq").asInt(), n.get("txid").asLong(),
                    JSON.convertValue(source.get("tables"), JSON.getTypeFactory().constructCollectionType(List.class, String.class)),
                    JSON.convertValue(source.get("txids"), JSON.getTypeFactory().constructCollectionType(List.class, Long.class)),
                    source.get("txids_truncated").asBoolean(), Instant.parse(n.get("committed_at").asText()),
                    n.get("refreshed_at").asText(), n.get("mode").asText());
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("not a refresh event: " + e.getMessage(), e);
        }
    }
}
