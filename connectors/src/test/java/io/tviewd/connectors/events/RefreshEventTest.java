package io.tviewd.connectors.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;

class RefreshEventTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static RefreshEvent event(String key, String op, long version, long txid) throws Exception {
        return new RefreshEvent("public.tv_blog_post", "BlogPost", new TextNode(key), op, true,
                RefreshEvent.DELETE.equals(op) ? null : EventData.of(JSON.readTree("{\"title\":\"t\"}")), version, 1, txid,
                List.of("public.tb_post"), List.of(7L, 8L), false, Instant.parse("2026-11-22T10:00:00Z"),
                "2026-11-22T10:00:00.5+00:00", "cdc");
    }

    @Test
    void json_hasTheDocumentedFields_andParsesBack() throws Exception {
        RefreshEvent e = event("k1", RefreshEvent.UPSERT, 0x16B3748L, 42);
        assertThat(e.toJsonString()).isEqualTo("{\"tview\":\"public.tv_blog_post\",\"typename\":\"BlogPost\",\"key\":\"k1\","
                + "\"op\":\"upsert\",\"created\":true,\"data\":{\"title\":\"t\"},\"version\":23803720,\"lsn\":\"0/16B3748\",\"seq\":1,"
                + "\"txid\":42,\"source\":{\"tables\":[\"public.tb_post\"],\"txids\":[7,8],\"txids_truncated\":false},"
                + "\"committed_at\":\"2026-11-22T10:00:00Z\",\"refreshed_at\":\"2026-11-22T10:00:00.5+00:00\",\"mode\":\"cdc\"}");
        assertThat(RefreshEvent.parse(e.toJsonString())).isEqualTo(e);
        assertThat(event("k1", RefreshEvent.DELETE, 1, 1).toJson().has("created")).isFalse();
    }

    @Test
    void data_asText_isWrittenAsIs_andAsATreeWhereMapsAreWanted() throws Exception {
        RefreshEvent fromTree = event("k1", RefreshEvent.UPSERT, 5, 1);
        RefreshEvent fromText = new RefreshEvent(fromTree.tview(), fromTree.typename(), fromTree.key(), fromTree.op(), fromTree.created(),
                EventData.ofCompactText("{\"title\":\"t\"}"), 5, 1, 1, fromTree.sourceTables(), fromTree.sourceTxids(), false,
                fromTree.committedAt(), fromTree.refreshedAt(), fromTree.mode());
        assertThat(fromText.toJsonString()).isEqualTo(fromTree.toJsonString());
        assertThat(fromText).isEqualTo(fromTree);
        // the event bus's maps carry the data as a map, not as text
        assertThat(fromText.toMap().get("data")).isEqualTo(java.util.Map.of("title", "t"));
        assertThat(fromText.data().tree().get("title").asText()).isEqualTo("t");
    }

    @Test
    void keyText_isTheRecordKey_forStringAndNumberKeys() throws Exception {
        assertThat(event("6f1c", RefreshEvent.UPSERT, 1, 1).keyText()).isEqualTo("6f1c");
        RefreshEvent numeric = new RefreshEvent("public.ta_post", "Post", new IntNode(12), "upsert", false, null, 1, 1, 1,
                List.of(), List.of(), false, Instant.EPOCH, "", "manual");
        assertThat(numeric.keyText()).isEqualTo("12");
        assertThat(new RefreshEvent("public.ta_post", "Post", new IntNode(12), "upsert", false, null, 0x1_0000_00FFL, 1, 1,
                List.of(), List.of(), false, Instant.EPOCH, "", "manual").lsn()).isEqualTo("1/FF");
    }

    @Test
    void typenames_arePascalCaseWithoutPrefixAndSchema() {
        assertThat(Typenames.of("public.tv_blog_post")).isEqualTo("BlogPost");
        assertThat(Typenames.of("tv_user")).isEqualTo("User");
        assertThat(Typenames.of("ta_post")).isEqualTo("Post");
        assertThat(Typenames.of("app.orders")).isEqualTo("Orders");
    }

    @Test
    void cascades_groupConsecutiveEventsOfOneTransaction() throws Exception {
        List<Cascade> cascades = Cascade.of(List.of(event("a", "upsert", 10, 1), event("b", "delete", 10, 1), event("a", "upsert", 20, 2)));
        assertThat(cascades).hasSize(2);
        assertThat(cascades.get(0).toJsonString()).isEqualTo("{\"txid\":1,\"version\":10,"
                + "\"updated\":[{\"__typename\":\"BlogPost\",\"id\":\"a\",\"operation\":\"CREATED\",\"data\":{\"title\":\"t\"}}],"
                + "\"deleted\":[{\"__typename\":\"BlogPost\",\"id\":\"b\"}]}");
        assertThat(cascades.get(1).events()).hasSize(1);
    }
}
