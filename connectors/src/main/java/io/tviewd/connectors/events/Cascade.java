package io.tviewd.connectors.events;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The FraiseQL cascade of one refresh transaction: every tview row it upserted or deleted, as
 * {@code {txid, version, updated:[{__typename,id,operation,data}], deleted:[{__typename,id}]}}
 * with {@code operation} {@code CREATED} or {@code UPDATED}.
 */
public record Cascade(long txid, long version, List<RefreshEvent> events) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public Cascade {
        events = List.copyOf(events);
    }

    /** Groups consecutive events of the same transaction (events arrive whole transactions at a time). */
    public static List<Cascade> of(List<RefreshEvent> events) {
        List<Cascade> out = new ArrayList<>();
        List<RefreshEvent> current = new ArrayList<>();
        for (RefreshEvent e : events) {
            if (!current.isEmpty() && current.get(0).version() != e.version()) {
                out.add(new Cascade(current.get(0).txid(), current.get(0).version(), current));
                current = new ArrayList<>();
            }
            current.add(e);
        }
        if (!current.isEmpty()) {
            out.add(new Cascade(current.get(0).txid(), current.get(0).version(), current));
        }
        return out;
    }

    public ObjectNode toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.put("txid", txid);
        o.put("version", version);
        ArrayNode updated = o.putArray("updated");
        ArrayNode deleted = o.putArray("deleted");
        for (RefreshEvent e : events) {
            ObjectNode n = (RefreshEvent.DELETE.equals(e.op()) ? deleted : updated).addObject();
            n.put("__typename", e.typename());
            n.set("id", e.key());
            if (!RefreshEvent.DELETE.equals(e.op())) {
                n.put("operation", e.created() ? "CREATED" : "UPDATED");
                if (e.data() == null) {
                    n.putNull("data");
                } else {
                    n.putRawValue("data", new com.fasterxml.jackson.databind.util.RawValue(e.data().json()));
                }
            }
        }
        return o;
    }

    public String toJsonString() {
        return toJson().toString();
    }
}
