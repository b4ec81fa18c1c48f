package io.tviewd.connectors;

import java.util.Locale;

/** A schema-qualified relation name. {@link #toString()} is {@code schema.name}; {@link #quoted()} is SQL-safe. */
public record TableName(String schema, String name) implements Comparable<TableName> {

    /**
     * Parses {@code schema.name} or {@code name} (then in {@code defaultSchema}). Either part may be double-quoted as in
     * SQL ({@code "my.schema".tv_post}, {@code ""} for a quote inside), which is how {@link #toString()} writes a part
     * holding a dot, a quote or a control character; unquoted, the text is split at its first dot.
     */
    public static TableName parse(String text, String defaultSchema) {
        if (text.startsWith("\"")) {
            int end = closingQuote(text, 0);
            String first = text.substring(1, end).replace("\"\"", "\"");
            if (end + 1 == text.length()) {
                return new TableName(defaultSchema, first);
            }
            if (text.charAt(end + 1) != '.') {
                throw new IllegalArgumentException("'" + text + "' is not a table name: expected '.' after the quoted " + first);
            }
            return new TableName(first, part(text.substring(end + 2)));
        }
        int dot = text.indexOf('.');
        return dot < 0 ? new TableName(defaultSchema, text) : new TableName(text.substring(0, dot), part(text.substring(dot + 1)));
    }

    /** One name part, unquoted when it is double-quoted. */
    private static String part(String text) {
        if (text.length() >= 2 && text.startsWith("\"") && closingQuote(text, 0) == text.length() - 1) {
            return text.substring(1, text.length() - 1).replace("\"\"", "\"");
        }
        return text;
    }

    /** Index of the quote that closes the one at {@code open} ({@code ""} is an escaped quote). */
    private static int closingQuote(String text, int open) {
        for (int i = open + 1; i < text.length(); i++) {
            if (text.charAt(i) == '"') {
                if (i + 1 < text.length() && text.charAt(i + 1) == '"') {
                    i++;
                } else {
                    return i;
                }
            }
        }
        throw new IllegalArgumentException("'" + text + "' is not a table name: a double quote is not closed");
    }

    /** A part as {@link #toString()} writes it: double-quoted only when it holds a dot, a quote or a control character. */
    private static String shown(String part) {
        for (int i = 0; i < part.length(); i++) {
            char ch = part.charAt(i);
            if (ch == '.' || ch == '"' || ch < 0x20 || ch == 0x7f) {
                return quote(part);
            }
        }
        return part.isEmpty() ? "\"\"" : part;
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

    /** {@code schema.name}, each part double-quoted when it holds a dot, a quote or a control character ({@link #parse} reads it back). */
    @Override
    public String toString() {
        return shown(schema) + "." + shown(name);
    }
}
