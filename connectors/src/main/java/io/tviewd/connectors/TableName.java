package io.tviewd.connectors;

import java.util.Locale;

/** A schema-qualified relation name. {@link #toString()} is {@code schema.name}; {@link #quoted()} is SQL-safe. */
public record TableName(String schema, String name) implements Comparable<TableName> {

    /** Parses {@code schema.name} or {@code name} (then in {@code defaultSchema}). */
    public static TableName parse(String text, String defaultSchema) {
        int dot = text.indexOf('.');
        return dot < 0 ? new TableName(defaultSchema, text) : new TableName(text.substring(0, dot), text.substring(dot + 1));
    }

    public String quoted() {
        return quote(schema) + "." + quote(name);
    }

    /** Quotes one SQL identifier. */
    public static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    /** The entity of a FraiseQL name: {@code tv_post} → {@code post}, {@code tb_post} → {@code post}. */
    public String entity() {
        String n = name.toLowerCase(Locale.ROOT);
        for (String prefix : new String[] {"tv_", "ta_", "tb_", "va_", "v_"}) {
            if (n.startsWith(prefix)) {
                return n.substring(prefix.length());
            }
        }
        return n;
    }

    @Override
    public int compareTo(TableName o) {
        return toString().compareTo(o.toString());
    }

    @Override
    public String toString() {
        return schema + "." + name;
    }
}
