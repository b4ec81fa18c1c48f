package io.tviewd.connectors.debezium;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.tviewd.connectors.postgres.refresh.RefreshStatements;

/**
 * Reads refresh-event messages (the logical messages refresh statements emit): checks that a message is one of the
 * daemon's — it carries the event key, which other roles cannot read — and well formed, then splits it into its events.
 */
final class EventMessages {

    /**
     * Numbers with a fraction are read as exact decimals (trailing zeros kept): a {@code numeric(20,2)} value would
     * lose digits as a double, in every sink.
     */
    static final ObjectMapper JSON = com.fasterxml.jackson.databind.json.JsonMapper.builder()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .nodeFactory(com.fasterxml.jackson.databind.node.JsonNodeFactory.withExactBigDecimals(true)).build();

    private EventMessages() {
    }

    /**
     * The events of one message, each as an object {@code {t, o, k, d, c, x, r}} where {@code d} is the event's data:
     * a message of the current format ({@code "v": 3}) carries many ({@code "e": [[op, key, data?], …]}); one of
     * format 2 carries the whole row, whose {@code data} column is a document tview's data.
     */
    static List<JsonNode> events(JsonNode m) {
        JsonNode list = m.get("e");
        boolean rows = m.path("v").asInt() == 2;
        List<JsonNode> out = new ArrayList<>(list.size());
        for (JsonNode e : list) {
            ObjectNode one = JSON.createObjectNode();
            one.set("t", m.get("t"));
            one.set("o", e.get(0));
            one.set("k", e.get(1));
            JsonNode d = e.size() > 2 ? e.get(2) : NullNode.getInstance();
            one.set("d", rows ? dataOfRow(d) : d);
            one.set("c", m.get("c"));
            one.set("x", m.get("x"));
            one.set("r", m.get("r"));
            out.add(one);
        }
        return out;
    }

    /** The data of an event that carries the whole row (formats before 3): a document tview's {@code data} column. */
    private static JsonNode dataOfRow(JsonNode row) {
        return row != null && row.has(RefreshStatements.DOCUMENT_COLUMN) ? row.get(RefreshStatements.DOCUMENT_COLUMN) : row;
    }

    /** A logical message with the daemon's prefix that is not one of its refresh-event messages. */
    static final class RejectedMessage extends Exception {
        final String kind;

        RejectedMessage(String kind, String message) {
            super(message);
            this.kind = kind;
        }
    }

    /**
     * The events of one message, after checking it is the daemon's: it must carry {@code eventKey} (else it is
     * {@code forged}) and have the shape refresh statements write (else {@code malformed}).
     */
    static List<JsonNode> accept(byte[] content, String eventKey) throws RejectedMessage {
        JsonNode m;
        try {
            m = JSON.readTree(content);
        } catch (IOException e) {
            throw new RejectedMessage("malformed", "not JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
        if (m == null || !m.isObject()) {
            throw new RejectedMessage("malformed", "not a JSON object");
        }
        JsonNode a = m.get("a");
        if (a == null || !a.isTextual() || !MessageDigest.isEqual(a.asText().getBytes(StandardCharsets.UTF_8),
                eventKey.getBytes(StandardCharsets.UTF_8))) {
            throw new RejectedMessage("forged", "it does not carry the daemon's event key (written by another session, not by a refresh)");
        }
        int version = m.path("v").asInt();
        if ((version != 2 && version != 3) || !m.path("t").isTextual() || !m.path("x").canConvertToLong() || !m.path("r").isTextual()
                || !(m.path("c").isObject() || m.path("c").isNull() || m.path("c").isMissingNode()) || !m.path("e").isArray()) {
            throw new RejectedMessage("malformed", "fields v, t, x, r, c, e are not those of a refresh-event message");
        }
        for (JsonNode e : m.get("e")) {
            if (!e.isArray() || e.size() < 2 || e.size() > 3 || !List.of("i", "u", "d").contains(e.get(0).asText()) || e.get(1).isNull()) {
                throw new RejectedMessage("malformed", "event " + e + " is not [op, key] or [op, key, row]");
            }
        }
        return events(m);
    }
}
