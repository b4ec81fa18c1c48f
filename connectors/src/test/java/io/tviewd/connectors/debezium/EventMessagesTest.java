package io.tviewd.connectors.debezium;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.tviewd.connectors.events.JsonText;

class EventMessagesTest {

    @Test
    void events_ofAMessageWithManyRows_areOneEachWithTheEnvelopeFields() throws Exception {
        List<EventMessages.Event> events = accept("""
                {"v": 2, "a": "%s", "t": "public.tv_post", "c": {"m": "cdc", "s": ["public.tb_post"]}, "x": 812, "r": "2026-12-01T10:00:00Z",
                 "e": [["i", "a1", {"data": {"title": "A"}}], ["u", 7, {"data": {}}], ["d", "a3", null]]}""");
        assertThat(events).hasSize(3);
        assertThat(events).extracting(EventMessages.Event::op).containsExactly("i", "u", "d");
        assertThat(events).extracting(e -> e.key().toString()).containsExactly("\"a1\"", "7", "\"a3\"");
        // format 2 carried the whole row: the data is its document column
        assertThat(events.get(0).data().tree().get("title").asText()).isEqualTo("A");
        assertThat(events.get(1).data().json()).isEqualTo("{}");
        assertThat(events.get(2).data()).isNull();
        assertThat(events).allSatisfy(e -> {
            assertThat(e.tview()).isEqualTo("public.tv_post");
            assertThat(e.txid()).isEqualTo(812);
            assertThat(e.context().get("m").asText()).isEqualTo("cdc");
            assertThat(e.refreshedAt()).isEqualTo("2026-12-01T10:00:00Z");
        });
    }

    @Test
    void events_ofTheCurrentFormat_carryTheirDataAsIs_evenADocumentWithADataField() throws Exception {
        List<EventMessages.Event> events = accept("""
                {"v": 3, "a": "%s", "t": "public.tv_post", "c": {}, "x": 9, "r": "t",
                 "e": [["u", "a1", {"data": {"title": "A"}, "n": 1}], ["i", 2, {"id": 2, "amount": 1.5}], ["d", "a3", null]]}""");
        assertThat(events).extracting(e -> e.data() == null ? "null" : e.data().json())
                .containsExactly("{\"data\":{\"title\":\"A\"},\"n\":1}", "{\"id\":2,\"amount\":1.5}", "null");
        // and a format 2 row without a data column (an analytic tview) is the data itself
        assertThat(accept("{\"v\": 2, \"a\": \"%s\", \"t\": \"public.ta_sale\", \"c\": {}, \"x\": 1, \"r\": \"t\","
                + " \"e\": [[\"u\", 2, {\"id\": 2, \"amount\": 1.5}]]}").get(0).data().json()).isEqualTo("{\"id\":2,\"amount\":1.5}");
    }

    @Test
    void data_isCutFromTheMessage_asTheCompactTextOfItsTree() throws Exception {
        // PostgreSQL's jsonb output (spaces after : and ,), numbers and strings that print as they are and ones that
        // do not (an exponent, a \\u escape): each event's text is what rendering the parsed document gives
        String[] docs = {"{\"title\": \"Ünïcode ✓ \\\"quoted\\\" \\\\ back\", \"n\": [1, 2.50, -3, 12345678901234567890], \"o\": {\"x\": null, \"y\": true}}",
            "{\"tiny\": 0.0000001, \"ctrl\": \"\\u0001\", \"e\": 1e3}", "[1, {\"a\": []}, \"s\"]", "{}"};
        StringBuilder m = new StringBuilder("{\"v\": 3, \"a\": \"%s\", \"t\": \"public.tv_post\", \"c\": null, \"x\": 1, \"r\": \"t\", \"e\": [");
        for (int i = 0; i < docs.length; i++) {
            m.append(i == 0 ? "" : ", ").append("[\"u\", ").append(i).append(", ").append(docs[i]).append(']');
        }
        List<EventMessages.Event> events = accept(m.append("]}").toString());
        for (int i = 0; i < docs.length; i++) {
            assertThat(events.get(i).data().json()).as(docs[i]).isEqualTo(JsonText.of(JsonText.EXACT.readTree(docs[i])));
            assertThat(events.get(i).data().tree()).isEqualTo(JsonText.EXACT.readTree(docs[i]));
        }
        assertThat(events.get(0).context().isNull()).isTrue();
    }

    private static List<EventMessages.Event> accept(String content) throws EventMessages.RejectedMessage {
        return EventMessages.accept(content.replace("%s", KEY).getBytes(java.nio.charset.StandardCharsets.UTF_8), KEY);
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
        List<EventMessages.Event> events = accept("{\"v\": 2, \"a\": \"%s\", \"t\": \"public.tv_post\", \"c\": {}, \"x\": 1, \"r\": \"t\","
                + " \"e\": [[\"u\", \"k1\"]]}");
        assertThat(events).hasSize(1);
        assertThat(events.get(0).data()).isNull();
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
        List<EventMessages.Event> events = accept("{\"v\": 2, \"a\": \"%s\", \"t\": \"public.tv_post\", \"c\": {},"
                + " \"x\": 1, \"r\": \"t\", \"e\": [[\"u\", \"k1\"], [\"d\", 2]]}");
        assertThat(events).extracting(e -> e.key().toString()).containsExactly("\"k1\"", "2");
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
        assertThat(rejected(head + "\"v\": 3, \"t\": \"t\", \"x\": 1, \"r\": \"t\", \"e\": [[\"u\", 1, {}, 4]]}").getMessage())
                .isEqualTo("event [\"u\",1,{},4] is not [op, key] or [op, key, row]");
        assertThat(rejected(head + "\"v\": 3, \"t\": \"t\", \"x\": 1, \"r\": \"t\", \"e\": 7}").getMessage()).contains("fields v, t, x, r, c, e");
        // cut short inside an event's data: not JSON, never a half document
        assertThat(rejected(head + "\"v\": 3, \"t\": \"t\", \"x\": 1, \"r\": \"t\", \"e\": [[\"u\", 1, {\"a\": [1, 2").getMessage())
                .startsWith("not JSON");
    }
}
