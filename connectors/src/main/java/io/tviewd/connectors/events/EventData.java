package io.tviewd.connectors.events;

import java.io.IOException;
import java.io.UncheckedIOException;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * An event's data (the document, or the row of an analytic tview) as its compact JSON text ({@link JsonText}), which
 * is what every sink writes. The event streams read it from the refresh messages without building a tree: a tree of a
 * document takes several times its text in the heap, and a storm hands over thousands of them a second. The tree is
 * built when a reader asks for it ({@link #tree}), each time; one made from a tree keeps that tree.
 */
public final class EventData {

    /** The text; of data made from a tree, rendered when first asked for. */
    private String json;
    private final JsonNode tree;

    private EventData(String json, JsonNode tree) {
        this.json = json;
        this.tree = tree;
    }

    /** Data given as a tree (its text is rendered when first asked for). */
    public static EventData of(JsonNode tree) {
        return new EventData(null, tree);
    }

    /** Data given as its compact text ({@link JsonText#compact}): trusted, not checked. */
    public static EventData ofCompactText(String json) {
        return new EventData(json, null);
    }

    /** The compact JSON text. */
    public String json() {
        String j = json;
        if (j == null) {
            // two threads may both render it: the same text
            j = JsonText.of(tree);
            json = j;
        }
        return j;
    }

    /** The data as a tree: the one it was made from, else parsed from the text with exact decimals ({@link JsonText#EXACT}). */
    public JsonNode tree() {
        if (tree != null) {
            return tree;
        }
        try {
            return JsonText.EXACT.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException("event data is not JSON: " + e.getMessage(), e);
        }
    }

    /** The text's length in characters (about its size in bytes for most documents). */
    public int length() {
        return json().length();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EventData d && d.json().equals(json());
    }

    @Override
    public int hashCode() {
        return json().hashCode();
    }

    /** The compact JSON text. */
    @Override
    public String toString() {
        return json();
    }
}
