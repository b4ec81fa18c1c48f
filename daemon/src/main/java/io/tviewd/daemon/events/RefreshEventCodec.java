package io.tviewd.daemon.events;

import java.nio.charset.StandardCharsets;

import io.tviewd.connectors.events.RefreshEvent;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonObject;

/**
 * Event-bus codec of refresh events: consumers receive a {@link JsonObject} of the public event schema, built for
 * each local consumer from the event tree (no text round trip), and only when there is one. Over the wire (a
 * clustered bus) the event travels as its JSON text.
 */
final class RefreshEventCodec implements MessageCodec<RefreshEvent, JsonObject> {

    @Override
    public void encodeToWire(Buffer buffer, RefreshEvent event) {
        byte[] json = event.toJsonString().getBytes(StandardCharsets.UTF_8);
        buffer.appendInt(json.length).appendBytes(json);
    }

    @Override
    public JsonObject decodeFromWire(int pos, Buffer buffer) {
        int length = buffer.getInt(pos);
        return new JsonObject(buffer.getString(pos + 4, pos + 4 + length, StandardCharsets.UTF_8.name()));
    }

    @Override
    public JsonObject transform(RefreshEvent event) {
        return new JsonObject(event.toMap());
    }

    @Override
    public String name() {
        return "tviewd-refresh-event";
    }

    @Override
    public byte systemCodecID() {
        return -1;
    }
}
