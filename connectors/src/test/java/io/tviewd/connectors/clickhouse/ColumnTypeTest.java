package io.tviewd.connectors.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import io.tviewd.connectors.events.JsonText;

class ColumnTypeTest {

    /** How the event streams parse documents. */
    private static final ObjectMapper EVENTS = JsonMapper.builder().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true)).build();

    private static final String[] NUMBERS = {"0", "-0", "7", "-12", "2147483647", "2147483648", "-2147483649", "9223372036854775807",
        "9223372036854775808", "123456789012345678901234567890", "1.50", "-0.0", "0.0000001", "1e3", "1E+3", "2.5e-9", "100.000",
        "3.14159265358979323846264338327950288", "1e400"};
    private static final String[] STRINGS = {"", "plain", "quote \\\" and backslash \\\\", "tab\\tnew\\nline", "\\u0001\\u001f ctrl",
        "ünïcödé ✓", "emoji \\ud83d\\ude00", "slash / and \\/", "\\u2028 separator"};

    @Test
    void documentText_withoutATree_isTheTextOfTheParsedDocument() throws Exception {
        Random random = new Random(20261202);
        for (int i = 0; i < 2_000; i++) {
            StringBuilder doc = new StringBuilder();
            value(random, doc, 0);
            String text = doc.toString();
            assertThat(JsonText.render(text)).as(text).isEqualTo(ColumnType.jsonText(EVENTS.readTree(text)));
            // and the one-pass way, where it applies, gives the same text
            assertThat(JsonText.compact(text)).as(text).isEqualTo(ColumnType.jsonText(EVENTS.readTree(text)));
        }
    }

    /** The copy's JSON string literal of a document's text ({@link DocumentLines.Literal}), or null where it falls back. */
    private static String documentLiteral(String text) {
        DocumentLines.Literal literal = new DocumentLines.Literal();
        return literal.of(text.getBytes(java.nio.charset.StandardCharsets.UTF_8))
                ? new String(literal.bytes, 0, literal.length, java.nio.charset.StandardCharsets.UTF_8) : null;
    }

    @Test
    void documentLiteral_isTheJsonStringOfTheParsedDocumentsText_orNullWhereItWouldDiffer() throws Exception {
        Random random = new Random(20261203);
        int literals = 0;
        for (int i = 0; i < 5_000; i++) {
            StringBuilder doc = new StringBuilder();
            value(random, doc, 0);
            String text = doc.toString();
            String literal = documentLiteral(text);
            // the copy's way over the UTF-8 bytes PostgreSQL sends falls back exactly where the stream's one-pass way does
            String compact = JsonText.compactOrNull(text);
            assertThat(literal == null).as(text).isEqualTo(compact == null);
            if (literal != null) {
                literals++;
                assertThat(EVENTS.readTree(literal).textValue()).as(text).isEqualTo(ColumnType.jsonText(EVENTS.readTree(text))).isEqualTo(compact);
            }
        }
        // most documents take the one-pass way; the rest (\\u escapes, 1E-7 and the like) fall back
        assertThat(literals).isGreaterThan(1_000);
        assertThat(documentLiteral("{\"a\": [1, 2.50, \"x\\\"y\\\\z\\n\"], \"b\": {\"c\": null, \"d\": true}}"))
                .isEqualTo("\"{\\\"a\\\":[1,2.50,\\\"x\\\\\\\"y\\\\\\\\z\\\\n\\\"],\\\"b\\\":{\\\"c\\\":null,\\\"d\\\":true}}\"");
        for (String differs : new String[] {"{\"a\": 0.0000001}", "{\"a\": -0}", "{\"a\": 1e3}", "{\"a\": \"\\u0001\"}", "{\"a\": \"\\/\"}",
            "{\"a\": \"open"}) {
            assertThat(documentLiteral(differs)).as(differs).isNull();
            assertThat(JsonText.compactOrNull(differs)).as(differs).isNull();
        }
    }

    @Test
    void aCopysKey_goesAsPostgreSQLRenderedIt_onlyWhereThatIsWhatTheColumnTakes() throws Exception {
        for (String json : new String[] {"\"3f2504e0-4f89-11d3-9a0c-0305e82c3301\"", "\"a \\\"quoted\\\" key\"", "\"\""}) {
            assertThat(DocumentLines.asItIs(ColumnType.TEXT, json)).as(json).isTrue();
            // the same value either way: the JSON PostgreSQL gave is the string the generator would write
            java.io.StringWriter w = new java.io.StringWriter();
            try (com.fasterxml.jackson.core.JsonGenerator g = new com.fasterxml.jackson.core.JsonFactory().createGenerator(w)) {
                ColumnType.TEXT.write(g, EVENTS.readTree(json));
            }
            assertThat(EVENTS.readTree(w.toString())).isEqualTo(EVENTS.readTree(json));
        }
        for (String json : new String[] {"0", "42", "-7", "9007199254740993"}) {
            assertThat(DocumentLines.asItIs(ColumnType.INT, json)).as(json).isTrue();
        }
        for (String json : new String[] {"-", "", "1.5", "1e3", "\"12\"", "12345678901234567890"}) {
            assertThat(DocumentLines.asItIs(ColumnType.INT, json)).as(json).isFalse();
        }
        assertThat(DocumentLines.asItIs(ColumnType.TEXT, "12")).isFalse();
        assertThat(DocumentLines.asItIs(ColumnType.DATE, "\"2026-12-04\"")).isFalse();
        assertThat(DocumentLines.asItIs(ColumnType.DATETIME, "\"2026-12-04T10:00:00+00:00\"")).isFalse();
    }

    @Test
    void documentText_afterAMalformedDocument_isStillRight() throws Exception {
        try {
            JsonText.render("{\"a\": [1, 2");
        } catch (java.io.IOException expected) {
            // the half-written generator must not leak into the next document
        }
        assertThat(JsonText.render("{\"b\": 1.50}")).isEqualTo("{\"b\":1.50}");
    }

    private static void value(Random random, StringBuilder out, int depth) {
        int kind = depth > 3 ? 2 + random.nextInt(4) : random.nextInt(6);
        switch (kind) {
            case 0 -> {
                out.append('{');
                int n = random.nextInt(5);
                for (int i = 0; i < n; i++) {
                    out.append(i == 0 ? "" : ", ").append('"').append(STRINGS[random.nextInt(STRINGS.length)]).append(i).append("\": ");
                    value(random, out, depth + 1);
                }
                out.append('}');
            }
            case 1 -> {
                out.append('[');
                int n = random.nextInt(5);
                for (int i = 0; i < n; i++) {
                    out.append(i == 0 ? "" : ", ");
                    value(random, out, depth + 1);
                }
                out.append(']');
            }
            case 2 -> out.append(NUMBERS[random.nextInt(NUMBERS.length)]);
            case 3 -> out.append('"').append(STRINGS[random.nextInt(STRINGS.length)]).append('"');
            case 4 -> out.append(random.nextBoolean() ? "true" : "false");
            default -> out.append("null");
        }
    }
}
