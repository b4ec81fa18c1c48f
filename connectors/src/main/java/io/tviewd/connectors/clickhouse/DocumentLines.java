package io.tviewd.connectors.clickhouse;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.tviewd.connectors.events.EventSink;
import io.tviewd.connectors.events.JsonText;

/**
 * A document chunk's JSONEachRow lines, {@code {"<key>":…,"data":"<document>","_version":…,"_deleted":0}}, made from
 * the bytes PostgreSQL sent: the document's {@code jsonb} text becomes its JSON string literal in one pass over its
 * UTF-8 bytes, whitespace between tokens dropped, straight into the body — no string, no tree, no generator per row.
 * Where a token would print otherwise once parsed (see {@link JsonText#compactOrNull}) the row takes the token-by-token
 * way; either way the line holds exactly what the stream writes for that document.
 */
final class DocumentLines {

    private DocumentLines() {
    }

    private static final byte[] NULL = {'n', 'u', 'l', 'l'};
    private static final byte[] QUOTE = {'\\', '"'};
    private static final byte[] ESCAPED_QUOTE = {'\\', '\\', '\\', '"'};
    private static final byte[] ESCAPED_BACKSLASH = {'\\', '\\', '\\', '\\'};

    static void write(ClickHouseTable table, CopyChunks.Chunk chunk, OutputStream out) throws IOException, EventSink.PermanentFailure {
        ClickHouseTable.Column key = table.columns.get(table.key);
        byte[] keyField = ("{\"" + new String(JsonStringEncoder.getInstance().quoteAsString(key.name())) + "\":").getBytes(StandardCharsets.UTF_8);
        byte[] tail = (",\"_version\":" + chunk.version() + ",\"_deleted\":0}\n").getBytes(StandardCharsets.US_ASCII);
        byte[] dataField = ",\"data\":".getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream value = new ByteArrayOutputStream(256);
        Literal literal = new Literal();
        try (JsonGenerator g = CopyChunks.LINES.createGenerator(value)) {
            g.setRootValueSeparator(null);
            for (int i = 0; i < chunk.count(); i++) {
                out.write(keyField);
                String k = chunk.keys()[i];
                if (asItIs(key.kind(), k)) {
                    out.write(k.getBytes(StandardCharsets.UTF_8));
                } else {
                    value.reset();
                    try {
                        key.kind().write(g, CopyChunks.ROWS.readTree(k));
                    } catch (ColumnType.Unrepresentable x) {
                        throw new EventSink.PermanentFailure("key " + k + " of " + table.tview + " cannot be stored in ClickHouse: "
                                + x.getMessage(), null);
                    }
                    g.flush();
                    value.writeTo(out);
                }
                out.write(dataField);
                byte[] document = chunk.documents()[i];
                if (document == null) {
                    out.write(NULL);
                } else if (literal.of(document)) {
                    out.write(literal.bytes, 0, literal.length);
                } else {
                    value.reset();
                    g.writeString(JsonText.render(new String(document, StandardCharsets.UTF_8)));
                    g.flush();
                    value.writeTo(out);
                }
                out.write(tail);
            }
        }
    }

    /**
     * True when a key's JSON (as {@code to_jsonb} renders it) is already what {@link ColumnType#write} would write: a
     * string for a String column, or an integer for an integer column (the usual keys: uuid, text, bigint). The others
     * take the parse and the checks.
     */
    static boolean asItIs(ColumnType kind, String json) {
        if (kind == ColumnType.TEXT) {
            return json.length() >= 2 && json.charAt(0) == '"';
        }
        if (kind != ColumnType.INT || json.isEmpty() || json.length() > 18) {
            return false;
        }
        for (int i = json.charAt(0) == '-' ? 1 : 0; i < json.length(); i++) {
            if (json.charAt(i) < '0' || json.charAt(i) > '9') {
                return false;
            }
        }
        return json.length() > (json.charAt(0) == '-' ? 1 : 0);
    }

    /** A document's JSON string literal, made in a buffer reused from row to row. */
    static final class Literal {
        byte[] bytes = new byte[4096];
        int length;

        /**
         * {@link JsonText#compactOrNull(String) compactOrNull(text)} of the document whose UTF-8 bytes are given, as a
         * JSON string literal (quoted, escaped): true with the literal in {@link #bytes}, or false where that gives null.
         */
        boolean of(byte[] json) {
            int n = json.length;
            length = 0;
            ensure(n + n / 8 + 16);
            put((byte) '"');
            int i = 0;
            while (i < n) {
                byte b = json[i];
                if (b == '"') {
                    put(QUOTE);
                    int j = i + 1;
                    while (true) {
                        int run = j;
                        while (j < n && plain(json[j])) {
                            j++;
                        }
                        put(json, run, j - run);
                        if (j >= n || (json[j] >= 0 && json[j] < 0x20)) {
                            return false;
                        }
                        if (json[j] == '"') {
                            put(QUOTE);
                            i = j + 1;
                            break;
                        }
                        if (j + 1 >= n) {
                            return false;
                        }
                        byte next = json[j + 1];
                        switch (next) {
                            case '"' -> put(ESCAPED_QUOTE);
                            case '\\' -> put(ESCAPED_BACKSLASH);
                            case 'b', 'f', 'n', 'r', 't' -> {
                                put((byte) '\\');
                                put((byte) '\\');
                                put(next);
                            }
                            default -> {
                                return false;
                            }
                        }
                        j += 2;
                    }
                } else if (b == '-' || (b >= '0' && b <= '9')) {
                    int end = i + 1;
                    boolean fraction = false;
                    while (end < n && numberPart(json[end])) {
                        fraction |= json[end] == '.' || json[end] == 'e' || json[end] == 'E';
                        end++;
                    }
                    if ((fraction || b == '-') && !JsonText.printsAsItIs(new String(json, i, end - i, StandardCharsets.US_ASCII), fraction)) {
                        return false;
                    }
                    put(json, i, end - i);
                    i = end;
                } else {
                    if (b != ' ' && b != '\n' && b != '\r' && b != '\t') {
                        put(b);
                    }
                    i++;
                }
            }
            put((byte) '"');
            return true;
        }

        /** A byte of a string copied as it is: not its end, an escape or a control character (UTF-8's other bytes are). */
        private static boolean plain(byte b) {
            return b != '"' && b != '\\' && (b < 0 || b >= 0x20);
        }

        private static boolean numberPart(byte b) {
            return (b >= '0' && b <= '9') || b == '.' || b == 'e' || b == 'E' || b == '+' || b == '-';
        }

        private void ensure(int more) {
            if (length + more > bytes.length) {
                bytes = java.util.Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + more));
            }
        }

        private void put(byte b) {
            ensure(1);
            bytes[length++] = b;
        }

        private void put(byte[] b) {
            put(b, 0, b.length);
        }

        private void put(byte[] b, int off, int len) {
            ensure(len);
            System.arraycopy(b, off, bytes, length, len);
            length += len;
        }
    }
}
