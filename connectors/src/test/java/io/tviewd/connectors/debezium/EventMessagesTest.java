package io.tviewd.connectors.debezium;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

class EventMessagesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void events_ofAMessageWithManyRows_areOneEachWithTheEnvelopeFields() throws Exception {
        JsonNode m = JSON.readTree("""
                {"v": 2, "t": "public.tv_post", "c": {"m": "cdc", "s": ["public.tb_post"]}, "x": 812, "r": "2026-12-01T10:00:00Z",
                 "e": [["i", "a1", {"data": {"title": "A"}}], ["u", 7, {"data": {}}], ["d", "a3", null]]}""");
        List<JsonNode> events = EventMessages.events(m);
        assertThat(events).hasSize(3);
        assertThat(events).extracting(e -> e.get("o").asText()).containsExactly("i", "u", "d");
        assertThat(events).extracting(e -> e.get("k").toString()).containsExactly("\"a1\"", "7", "\"a3\"");
        // format 2 carried the whole row: the data is its document column
        assertThat(events.get(0).get("d").get("title").asText()).isEqualTo("A");
        assertThat(events.get(1).get("d").isEmpty()).isTrue();
        assertThat(events.get(2).get("d").isNull()).isTrue();
        assertThat(events).allSatisfy(e -> {
            assertThat(e.get("t").asText()).isEqualTo("public.tv_post");
            assertThat(e.get("x").asLong()).isEqualTo(812);
            assertThat(e.get("c").get("m").asText()).isEqualTo("cdc");
            assertThat(e.get("r").asText()).isEqualTo("2026-12-01T10:00:00Z");
        });
    }

    @Test
    void events_ofTheCurrentFormat_carryTheirDataAsIs_evenADocumentWithADataField() throws Exception {
        List<JsonNode> events = EventMessages.events(JSON.readTree("""
                {"v": 3, "t": "public.tv_post", "c": {}, "x": 9, "r": "t",
                 "e": [["u", "a1", {"data": {"title": "A"}, "n": 1}], ["i", 2, {"id": 2, "amount": 1.5}], ["d", "a3", null]]}"""));
        assertThat(events).extracting(e -> e.get("d").toString())
                .containsExactly("{\"data\":{\"title\":\"A\"},\"n\":1}", "{\"id\":2,\"amount\":1.5}", "null");
        // and a format 2 row without a data column (an analytic tview) is the data itself
        assertThat(EventMessages.events(JSON.readTree("{\"v\": 2, \"t\": \"public.ta_sale\", \"c\": {}, \"x\": 1, \"r\": \"t\","
                + " \"e\": [[\"u\", 2, {\"id\": 2, \"amount\": 1.5}]]}")).get(0).get("d").toString()).isEqualTo("{\"id\":2,\"amount\":1.5}");
    }

    @Test
    void accept_takesFormats2And3_andRefusesOthers() throws Exception {
        for (int v : new int[] {2, 3}) {
            assertThat(EventMessages.accept(("{\"v\": " + v + ", \"a\": \"" + KEY + "\", \"t\": \"public.tv_post\", \"c\": {},"
                    + " \"x\": 1, \"r\": \"t\", \"e\": [[\"u\", \"k1\"]]}").getBytes(java.nio.charset.StandardCharsets.UTF_8), KEY)).hasSize(1);
        }
        assertThat(rejected("{\"v\": 4, \"a\": \"" + KEY + "\", \"t\": \"t\", \"c\": {}, \"x\": 1, \"r\": \"t\", \"e\": []}").kind)
                .isEqualTo("malformed");
    }

    @Test
    void events_ofAMessageWithoutRows_haveNullData() throws Exception {
        List<JsonNode> events = EventMessages.events(JSON.readTree(
                "{\"v\": 2, \"t\": \"public.tv_post\", \"c\": {}, \"x\": 1, \"r\": \"t\", \"e\": [[\"u\", \"k1\"]]}"));
        assertThat(events).hasSize(1);
        assertThat(events.get(0).get("d").isNull()).isTrue();
    }

    private static final String KEY = "0123456789abcdef";

    private static EventMessages.RejectedMessage rejected(String content) {
        try {
            EventMessages.accept(content.getBytes(java.nio.charset.StandardCharsets.UTF_8), KEY);
        } catch (EventMessages.RejectedMessage e) {
            return e;
        }
        throw new AssertionError("accepted: " + content);
    }

    @Test
    void accept_aMessageWithTheKey_givesItsEvents() throws Exception {
        List<JsonNode> events = EventMessages.accept(("{\"v\": 2, \"a\": \"" + KEY + "\", \"t\": \"public.tv_post\", \"c\": {},"
                + " \"x\": 1, \"r\": \"t\", \"e\": [[\"u\", \"k1\"], [\"d\", 2]]}").getBytes(java.nio.charset.StandardCharsets.UTF_8), KEY);
        assertThat(events).extracting(e -> e.get("k").toString()).containsExactly("\"k1\"", "2");
    }

    @Test
    void accept_aMessageWithoutTheKeyOrAnother_isForged() {
        String body = "\"v\": 2, \"t\": \"public.tv_post\", \"c\": {}, \"x\": 1, \"r\": \"t\", \"e\": [[\"u\", \"k1\"]]";
        assertThat(rejected("{" + body + "}").kind).isEqualTo("forged");
        assertThat(rejected("{\"a\": \"guess\", " + body + "}").kind).isEqualTo("forged");
        assertThat(rejected("{\"a\": 42, " + body + "}").getMessage()).contains("does not carry the daemon's event key");
        // the former single-event format carries no key: no longer accepted
        assertThat(rejected("{\"t\": \"public.tv_post\", \"o\": \"u\", \"k\": \"k1\", \"d\": null, \"c\": {}, \"x\": 1, \"r\": \"t\"}").kind)
                .isEqualTo("forged");
    }

    @Test
    void accept_garbageOrAWrongShape_isMalformedNamingWhy() {
        assertThat(rejected("not json").kind).isEqualTo("malformed");
        assertThat(rejected("not json").getMessage()).startsWith("not JSON");
        assertThat(rejected("[1, 2]").getMessage()).isEqualTo("not a JSON object");
        String head = "{\"a\": \"" + KEY + "\", ";
        assertThat(rejected(head + "\"v\": 2, \"t\": 5, \"x\": 1, \"r\": \"t\", \"e\": []}").getMessage())
                .contains("fields v, t, x, r, c, e");
        assertThat(rejected(head + "\"v\": 2, \"t\": \"t\", \"x\": 1, \"r\": \"t\", \"e\": [[\"z\", 1]]}").getMessage())
                .isEqualTo("event [\"z\",1] is not [op, key] or [op, key, row]");
        assertThat(rejected(head + "\"v\": 2, \"t\": \"t\", \"x\": 1, \"r\": \"t\", \"e\": [[\"u\"]]}").kind).isEqualTo("malformed");
    }
}
