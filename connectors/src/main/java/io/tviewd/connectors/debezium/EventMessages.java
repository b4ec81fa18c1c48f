package io.tviewd.connectors.debezium;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;

import io.tviewd.connectors.events.EventData;
import io.tviewd.connectors.events.JsonText;
import io.tviewd.connectors.postgres.refresh.RefreshStatements;

/**
 * Reads refresh-event messages (the logical messages refresh statements emit): checks that a message is one of the
 * daemon's — it carries the event key, which other roles cannot read — and well formed, then splits it into its events.
 *
 * <p>A message is read as a stream of tokens: each event's data is kept as its compact text ({@link EventData}), cut
 * from the message, never built into a tree. (Trees of 5,000 documents a storm cycle were most of what events cost.)
 */
final class EventMessages {

    /** How the envelope's small parts (keys, context) are parsed: exact decimals, as data is. */
    static final ObjectMapper JSON = JsonText.EXACT;

    private static final Set<String> OPS = Set.of("i", "u", "d");

    private EventMessages() {
    }

    /**
     * One event of a message: its tview, op ({@code i}, {@code u}, {@code d}), key, data (null when the message carries
     * none), and the message's context ({@code c}), refresh transaction ({@code x}) and refresh time ({@code r}).
     */
    record Event(String tview, String op, JsonNode key, EventData data, JsonNode context, long txid, String refreshedAt) {
    }

    /** A logical message with the daemon's prefix that is not one of its refresh-event messages. */
    static final class RejectedMessage extends Exception {
        final String kind;

        RejectedMessage(String kind, String message) {
            super(message);
            this.kind = kind;
        }
    }

    /** An element of {@code e} as read: op, key, the data's text or scalar, and where it sits in the message. */
    private record Element(JsonNode op, JsonNode key, String dataText, JsonNode dataScalar, int size, int from, int to) {
    }

    /**
     * The events of one message, after checking it is the daemon's: it must carry {@code eventKey} (else it is
     * {@code forged}) and have the shape refresh statements write (else {@code malformed}). A message of the current
     * format ({@code "v": 3}) carries each event's data as is; one of format 2 carried the whole row, whose
     * {@code data} column is a document tview's data.
     */
    static List<Event> accept(byte[] content, String eventKey) throws RejectedMessage {
        JsonNode v = null;
        JsonNode a = null;
        JsonNode t = null;
        JsonNode c = null;
        JsonNode x = null;
        JsonNode r = null;
        boolean hasE = false;
        boolean eIsArray = false;
        List<Element> elements = new ArrayList<>();
        try (JsonParser p = JSON.getFactory().createParser(content)) {
            JsonToken first = p.nextToken();
            if (first != JsonToken.START_OBJECT) {
                if (first != null) {
                    // the whole value, so that text that is not JSON at all is reported as such
                    p.skipChildren();
                    p.nextToken();
                }
                throw new RejectedMessage("malformed", "not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if ("e".equals(name)) {
                    hasE = true;
                    eIsArray = value == JsonToken.START_ARRAY;
                    if (eIsArray) {
                        while (p.nextToken() != JsonToken.END_ARRAY) {
                            elements.add(element(p, content));
                        }
                    } else {
                        p.skipChildren();
                    }
                    continue;
                }
                JsonNode n = p.readValueAsTree();
                switch (name) {
                    case "v" -> v = n;
                    case "a" -> a = n;
                    case "t" -> t = n;
                    case "c" -> c = n;
                    case "x" -> x = n;
                    case "r" -> r = n;
                    default -> {
                        // a field of a later format: not needed here
                    }
                }
            }
        } catch (IOException e) {
            throw new RejectedMessage("malformed", "not JSON (" + String.valueOf(e.getMessage()).lines().findFirst().orElse("") + ")");
        }
        if (a == null || !a.isTextual() || !MessageDigest.isEqual(a.asText().getBytes(StandardCharsets.UTF_8),
                eventKey.getBytes(StandardCharsets.UTF_8))) {
            throw new RejectedMessage("forged", "it does not carry the daemon's event key (written by another session, not by a refresh)");
        }
        int version = v == null ? 0 : v.asInt();
        boolean contextOk = c == null || c.isObject() || c.isNull();
        if ((version != 2 && version != 3) || t == null || !t.isTextual() || x == null || !x.canConvertToLong() || r == null
                || !r.isTextual() || !contextOk || !hasE || !eIsArray) {
            throw new RejectedMessage("malformed", "fields v, t, x, r, c, e are not those of a refresh-event message");
        }
        JsonNode context = c == null ? NullNode.getInstance() : c;
        List<Event> out = new ArrayList<>(elements.size());
        for (Element e : elements) {
            if (e.size() < 2 || e.size() > 3 || e.op() == null || !OPS.contains(e.op().asText()) || e.key() == null || e.key().isNull()) {
                throw new RejectedMessage("malformed", "event " + text(content, e) + " is not [op, key] or [op, key, row]");
            }
            out.add(new Event(t.asText(), e.op().asText(), e.key(), data(e, version == 2), context, x.asLong(), r.asText()));
        }
        return out;
    }

    /** Reads one element of {@code e} (the parser at its first token), keeping a container's data as text. */
    private static Element element(JsonParser p, byte[] content) throws IOException {
        int from = (int) p.currentTokenLocation().getByteOffset();
        if (p.currentToken() != JsonToken.START_ARRAY) {
            p.skipChildren();
            return new Element(null, null, null, null, -1, from, (int) p.currentLocation().getByteOffset());
        }
        JsonNode op = null;
        JsonNode key = null;
        String dataText = null;
        JsonNode dataScalar = null;
        int size = 0;
        for (JsonToken tok = p.nextToken(); tok != JsonToken.END_ARRAY; tok = p.nextToken()) {
            if (tok == null) {
                throw new IOException("unexpected end of the message");
            }
            if (size == 2 && (tok == JsonToken.START_OBJECT || tok == JsonToken.START_ARRAY)) {
                int start = (int) p.currentTokenLocation().getByteOffset();
                p.skipChildren();
                dataText = new String(content, start, (int) p.currentLocation().getByteOffset() - start, StandardCharsets.UTF_8);
            } else if (size < 3) {
                JsonNode n = p.readValueAsTree();
                if (size == 0) {
                    op = n;
                } else if (size == 1) {
                    key = n;
                } else {
                    dataScalar = n;
                }
            } else {
                p.skipChildren();
            }
            size++;
        }
        return new Element(op, key, dataText, dataScalar, size, from, (int) p.currentLocation().getByteOffset());
    }

    /** The data of an element: its compact text; for format 2, the row's {@code data} column when it has one. */
    private static EventData data(Element e, boolean wholeRow) throws RejectedMessage {
        try {
            if (e.dataText() != null) {
                if (wholeRow) {
                    JsonNode row = JSON.readTree(e.dataText());
                    return EventData.of(row.has(RefreshStatements.DOCUMENT_COLUMN) ? row.get(RefreshStatements.DOCUMENT_COLUMN) : row);
                }
                return EventData.ofCompactText(JsonText.compact(e.dataText()));
            }
        } catch (IOException ex) {
            throw new RejectedMessage("malformed", "the data of event " + e.key() + " is not JSON");
        }
        return e.dataScalar() == null || e.dataScalar().isNull() ? null : EventData.of(e.dataScalar());
    }

    /** An element's text, for a message naming it: compact, as a tree would print it. */
    private static String text(byte[] content, Element e) {
        String raw = new String(content, e.from(), e.to() - e.from(), StandardCharsets.UTF_8);
        try {
            return JSON.readTree(raw).toString();
        } catch (IOException ex) {
            return raw;
        }
    }
}
