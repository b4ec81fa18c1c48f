package io.tviewd.connectors.debezium;

import java.io.IOException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.tviewd.connectors.events.EventData;
import io.tviewd.connectors.events.JsonText;

/**
 * A temporary file of the events of one large refresh transaction, a line each: {@code committedMillis bytes event},
 * the event as JSON {@code {t, o, k, d, c, x, r}} with its data as the text it is.
 */
final class SpillFile implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SpillFile.class);
    private static final ObjectMapper JSON = EventMessages.JSON;

    private final java.nio.file.Path path;
    private final java.io.BufferedWriter out;
    private java.io.BufferedReader in;

    SpillFile(java.nio.file.Path dir, String prefix) {
        try {
            path = java.nio.file.Files.createTempFile(dir, prefix, ".jsonl");
            out = java.nio.file.Files.newBufferedWriter(path);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("Cannot create a spill file for a large refresh transaction", e);
        }
    }

    void append(DebeziumEventSource.Pending p) {
        try {
            EventMessages.Event e = p.event();
            com.fasterxml.jackson.databind.node.ObjectNode line = JSON.createObjectNode().put("t", e.tview()).put("o", e.op());
            line.set("k", e.key());
            if (e.data() == null) {
                line.putNull("d");
            } else {
                line.putRawValue("d", new com.fasterxml.jackson.databind.util.RawValue(e.data().json()));
            }
            line.set("c", e.context());
            line.put("x", e.txid()).put("r", e.refreshedAt());
            out.write(p.committedMillis() + " " + p.bytes() + " " + line);
            out.newLine();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("Cannot write the spill file " + path, e);
        }
    }

    Iterable<DebeziumEventSource.Pending> read() {
        try {
            out.flush();
            in = java.nio.file.Files.newBufferedReader(path);
            return () -> in.lines().map(line -> {
                int sp = line.indexOf(' ');
                int sp2 = line.indexOf(' ', sp + 1);
                try {
                    JsonNode m = JSON.readTree(line.substring(sp2 + 1));
                    JsonNode d = m.get("d");
                    // the data back as text only: a part of a spilled transaction holds thousands
                    EventMessages.Event e = new EventMessages.Event(m.get("t").asText(), m.get("o").asText(), m.get("k"),
                            d == null || d.isNull() ? null : EventData.ofCompactText(JsonText.of(d)), m.get("c"), m.get("x").asLong(),
                            m.get("r").asText());
                    return new DebeziumEventSource.Pending(e, Long.parseLong(line.substring(0, sp)), Long.parseLong(line.substring(sp + 1, sp2)));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).iterator();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("Cannot read the spill file " + path, e);
        }
    }

    @Override
    public void close() {
        try {
            out.close();
            if (in != null) {
                in.close();
            }
            java.nio.file.Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.warn("Cannot delete the spill file {}: {}", path, e.getMessage());
        }
    }
}
