package io.tviewd.connectors.events;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

/**
 * The compact JSON text of event data, the same whichever way it is made: from a tree ({@link #of(JsonNode)}), from
 * PostgreSQL's {@code jsonb} output without a tree ({@link #compact(String)}), token by token ({@link #render}). Every
 * sink writes this text, and {@code tviewd clickhouse verify} compares it, so the three must agree to the byte.
 */
public final class JsonText {

    /**
     * How event data is parsed: numbers with a fraction as exact decimals (trailing zeros kept), since a
     * {@code numeric(20,2)} value would lose digits as a double, in every sink.
     */
    public static final ObjectMapper EXACT = JsonMapper.builder().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true)).build();

    private static final ObjectMapper TEXT_OF = new ObjectMapper();

    /** One writer and generator per thread: {@code JsonNode.toString()} builds a generator per call (most of a copy's CPU). */
    private static final ThreadLocal<Object[]> WRITER = ThreadLocal.withInitial(() -> {
        StringWriter w = new StringWriter(1024);
        try {
            JsonGenerator g = TEXT_OF.getFactory().createGenerator(w);
            g.setRootValueSeparator(null);
            return new Object[] {w, g};
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    });

    private JsonText() {
    }

    /** The compact JSON text of a value, as {@code value.toString()} renders it. */
    public static String of(JsonNode value) {
        Object[] wg = WRITER.get();
        StringWriter w = (StringWriter) wg[0];
        JsonGenerator g = (JsonGenerator) wg[1];
        w.getBuffer().setLength(0);
        try {
            TEXT_OF.writeTree(g, value);
            g.flush();
        } catch (IOException e) {
            // a StringWriter does not fail; a generator left half-written is replaced
            WRITER.remove();
            return value.toString();
        }
        return w.toString();
    }

    /**
     * {@link #of(JsonNode)} of a JSON document given as text, as if parsed with {@link #EXACT} first: in one pass when
     * {@link #compactOrNull} can, else token by token ({@link #render}).
     */
    public static String compact(String json) throws IOException {
        String text = compactOrNull(json);
        return text != null ? text : render(json);
    }

    /**
     * {@link #of(JsonNode)} of a JSON document given as text, as if parsed with {@link #EXACT} first, without building
     * the tree: copied token by token, integers by size as int, long or big integer, fractions as exact decimals,
     * strings and names as they are, in document order.
     */
    public static String render(String json) throws IOException {
        Object[] wg = WRITER.get();
        StringWriter w = (StringWriter) wg[0];
        JsonGenerator g = (JsonGenerator) wg[1];
        w.getBuffer().setLength(0);
        try (JsonParser p = TEXT_OF.getFactory().createParser(json)) {
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                switch (t) {
                    case START_OBJECT -> g.writeStartObject();
                    case END_OBJECT -> g.writeEndObject();
                    case START_ARRAY -> g.writeStartArray();
                    case END_ARRAY -> g.writeEndArray();
                    case FIELD_NAME -> g.writeFieldName(p.currentName());
                    case VALUE_STRING -> g.writeString(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
                    case VALUE_NUMBER_INT -> {
                        switch (p.getNumberType()) {
                            case INT -> g.writeNumber(p.getIntValue());
                            case LONG -> g.writeNumber(p.getLongValue());
                            default -> g.writeNumber(p.getBigIntegerValue());
                        }
                    }
                    case VALUE_NUMBER_FLOAT -> g.writeNumber(p.getDecimalValue());
                    case VALUE_TRUE -> g.writeBoolean(true);
                    case VALUE_FALSE -> g.writeBoolean(false);
                    case VALUE_NULL -> g.writeNull();
                    default -> throw new IOException("unexpected JSON token " + t);
                }
            }
            g.flush();
        } catch (IOException | RuntimeException e) {
            // a generator left half-written is replaced
            WRITER.remove();
            throw e;
        }
        return w.toString();
    }

    /**
     * {@link #render} of a document in PostgreSQL's {@code jsonb} output made in one pass over its characters —
     * whitespace between tokens dropped, strings and numbers kept as they are. Null when a token would be rendered differently once parsed — a
     * {@code \\u} or {@code \\/} escape, {@code -0}, a number with a fraction or exponent whose exact decimal prints
     * otherwise ({@code 0.0000001} is {@code 1E-7}) — or the text is not such JSON: the caller then takes {@link #render}.
     */
    public static String compactOrNull(String json) {
        int n = json.length();
        StringBuilder out = new StringBuilder(n);
        int i = 0;
        while (i < n) {
            char ch = json.charAt(i);
            if (ch == '"') {
                out.append('"');
                // the string up to its closing quote, copied a run at a time (a char at a time cost most of a copy)
                int j = i + 1;
                while (true) {
                    int run = j;
                    while (j < n && plain(json.charAt(j))) {
                        j++;
                    }
                    out.append(json, run, j);
                    if (j >= n || json.charAt(j) < 0x20) {
                        return null;
                    }
                    if (json.charAt(j) == '"') {
                        out.append('"');
                        i = j + 1;
                        break;
                    }
                    if (j + 1 >= n) {
                        return null;
                    }
                    char next = json.charAt(j + 1);
                    switch (next) {
                        case '"', '\\', 'b', 'f', 'n', 'r', 't' -> out.append('\\').append(next);
                        default -> {
                            return null;
                        }
                    }
                    j += 2;
                }
            } else if (ch == '-' || (ch >= '0' && ch <= '9')) {
                int end = i + 1;
                boolean fraction = false;
                while (end < n && "0123456789.eE+-".indexOf(json.charAt(end)) >= 0) {
                    fraction |= json.charAt(end) == '.' || json.charAt(end) == 'e' || json.charAt(end) == 'E';
                    end++;
                }
                if ((fraction || ch == '-') && !printsAsItIs(json.substring(i, end), fraction)) {
                    return null;
                }
                out.append(json, i, end);
                i = end;
            } else {
                if (ch != ' ' && ch != '\n' && ch != '\r' && ch != '\t') {
                    out.append(ch);
                }
                i++;
            }
        }
        return out.toString();
    }

    /** A character of a string copied as it is: not its end, an escape or a control character. */
    private static boolean plain(char ch) {
        return ch != '"' && ch != '\\' && ch >= 0x20;
    }

    /**
     * True when a JSON number (with {@code fraction}: a fraction or an exponent) prints the same once parsed as an exact
     * decimal, or as an integer: {@code 2.50} does, {@code 1e3}, {@code 0.0000001} and {@code -0} do not.
     */
    public static boolean printsAsItIs(String number, boolean fraction) {
        return fraction ? exactDecimalPrintsAs(number) : !(number.equals("-0") || number.startsWith("-0") && number.length() > 2);
    }

    private static boolean exactDecimalPrintsAs(String number) {
        try {
            return new BigDecimal(number).toString().equals(number);
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
