package io.tviewd.connectors.debezium;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

class DebeziumEventSourceTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void commitLsn_isTheNumberAfterTheColon() {
        assertThat(DebeziumEventSource.commitLsn("751:26320064")).isEqualTo(26320064L);
        assertThatThrownBy(() -> DebeziumEventSource.commitLsn("751")).hasMessageContaining("expected txId:lsn");
    }

    @Test
    void events_ofAMessageWithManyRows_areOneEachWithTheEnvelopeFields() throws Exception {
        JsonNode m = JSON.readTree("""
                {"v": 2, "t": "public.tv_post", "c": {"m": "cdc", "s": ["public.tb_post"]}, "x": 812, "r": "2026-12-01T10:00:00Z",
                 "e": [["i", "a1", {"data": {"title": "A"}}], ["u", 7, {"data": {}}], ["d", "a3", null]]}""");
        List<JsonNode> events = DebeziumEventSource.events(m);
        assertThat(events).hasSize(3);
        assertThat(events).extracting(e -> e.get("o").asText()).containsExactly("i", "u", "d");
        assertThat(events).extracting(e -> e.get("k").toString()).containsExactly("\"a1\"", "7", "\"a3\"");
        assertThat(events.get(0).get("d").get("data").get("title").asText()).isEqualTo("A");
        assertThat(events.get(2).get("d").isNull()).isTrue();
        assertThat(events).allSatisfy(e -> {
            assertThat(e.get("t").asText()).isEqualTo("public.tv_post");
            assertThat(e.get("x").asLong()).isEqualTo(812);
            assertThat(e.get("c").get("m").asText()).isEqualTo("cdc");
            assertThat(e.get("r").asText()).isEqualTo("2026-12-01T10:00:00Z");
        });
    }

    @Test
    void events_ofAMessageWithoutRows_haveNullData() throws Exception {
        List<JsonNode> events = DebeziumEventSource.events(JSON.readTree(
                "{\"v\": 2, \"t\": \"public.tv_post\", \"c\": {}, \"x\": 1, \"r\": \"t\", \"e\": [[\"u\", \"k1\"]]}"));
        assertThat(events).hasSize(1);
        assertThat(events.get(0).get("d").isNull()).isTrue();
    }

    @Test
    void events_ofAMessageOfTheFormerFormat_isThatOneEvent() throws Exception {
        JsonNode old = JSON.readTree("{\"t\": \"public.tv_post\", \"o\": \"u\", \"k\": \"k1\", \"d\": null, \"c\": {}, \"x\": 1, \"r\": \"t\"}");
        assertThat(DebeziumEventSource.events(old)).containsExactly(old);
    }
}
