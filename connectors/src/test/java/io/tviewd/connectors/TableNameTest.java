package io.tviewd.connectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

class TableNameTest {

    @Test
    void plainNames_printAndParseAsBefore() {
        assertThat(TableName.parse("public.tv_post", "x")).isEqualTo(new TableName("public", "tv_post"));
        assertThat(TableName.parse("tv_post", "app")).isEqualTo(new TableName("app", "tv_post"));
        assertThat(new TableName("public", "tv_post").toString()).isEqualTo("public.tv_post");
        assertThat(new TableName("Sales", "tv_Übersicht").toString()).isEqualTo("Sales.tv_Übersicht");
    }

    @Test
    void partsWithDotsQuotesOrControlCharacters_areQuoted_andRoundTrip() {
        for (TableName t : new TableName[] {new TableName("my.schema", "tv_post"), new TableName("public", "tv.x"),
                new TableName("we\"ird", "tv_\"q\""), new TableName("public", "tv_line\nbreak"), new TableName("a.b", "c.d")}) {
            assertThat(TableName.parse(t.toString(), "other")).as(t.toString()).isEqualTo(t);
        }
        assertThat(new TableName("my.schema", "tv_post").toString()).isEqualTo("\"my.schema\".tv_post");
        assertThat(TableName.parse("\"my.schema\".\"tv_post\"", "x")).isEqualTo(new TableName("my.schema", "tv_post"));
        assertThat(TableName.parse("\"MixedCase\"", "app")).isEqualTo(new TableName("app", "MixedCase"));
        assertThat(TableName.parse("\"my.schema\".tv_post", "x").entity()).isEqualTo("post");
    }

    @Test
    void aNameWithAControlCharacter_staysValidJson() throws Exception {
        String json = new ObjectMapper().writeValueAsString(java.util.Map.of("tview", new TableName("public", "tv_\u0001x\ty").toString()));
        assertThat(new ObjectMapper().readTree(json).get("tview").asText()).isEqualTo("public.\"tv_\u0001x\ty\"");
    }

    @Test
    void malformedQuoting_isRefusedNamingTheText() {
        assertThatThrownBy(() -> TableName.parse("\"open.tv_x", "public")).hasMessageContaining("'\"open.tv_x' is not a table name: a double quote is not closed");
        assertThatThrownBy(() -> TableName.parse("\"a\"b", "public")).hasMessageContaining("expected '.' after the quoted a");
    }
}
