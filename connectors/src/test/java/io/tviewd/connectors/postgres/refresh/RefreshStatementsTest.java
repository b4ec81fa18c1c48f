package io.tviewd.connectors.postgres.refresh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.tviewd.connectors.TableName;
import io.tviewd.connectors.postgres.catalog.BaseTable;
import io.tviewd.connectors.postgres.catalog.Tview;
import io.tviewd.connectors.postgres.plan.KeyMapping;

class RefreshStatementsTest {

    private static final TableName TB_POST = new TableName("public", "tb_post");

    private static Tview tvPost() {
        return new Tview(new TableName("public", "tv_post"), new TableName("public", "v_post"), "id", "uuid",
                List.of("id", "pk_post", "data"), Map.of("id", "uuid", "pk_post", "bigint", "data", "jsonb"),
                List.of("updated_at"), List.of(new BaseTable(TB_POST, List.of("pk_post"), List.of("pk_post", "id"), 'f')),
                List.of());
    }

    @Test
    void refreshByKeys_upsertsChangedRowsDeletesVanishedAndBumpsUpdatedAt() {
        assertThat(RefreshStatements.refreshByKeys(tvPost(), RefreshStatements.Emit.NONE)).isEqualTo("""
                WITH src AS (SELECT v."id", v."pk_post", v."data" FROM "public"."v_post" v WHERE v."id" = ANY(CAST(? AS text[])::uuid[])),
                up AS (INSERT INTO "public"."tv_post" AS t ("id", "pk_post", "data", "updated_at")
                  SELECT "id", "pk_post", "data", now() FROM src
                  ON CONFLICT ("id") DO UPDATE SET "pk_post" = EXCLUDED."pk_post", "data" = EXCLUDED."data", "updated_at" = EXCLUDED."updated_at"
                  WHERE ROW(t."pk_post", t."data") IS DISTINCT FROM ROW(EXCLUDED."pk_post", EXCLUDED."data")
                  RETURNING 1),
                del AS (DELETE FROM "public"."tv_post" t WHERE t."id" = ANY(CAST(? AS text[])::uuid[]) AND NOT EXISTS (SELECT 1 FROM src WHERE src."id" = t."id") RETURNING 1)
                SELECT (SELECT count(*) FROM src), (SELECT count(*) FROM up), (SELECT count(*) FROM del), 0""");
    }

    @Test
    void refreshByKeys_withEvents_emitsTransactionalMessagesOfUpTo500WrittenOrDeletedRows() {
        String sql = RefreshStatements.refreshByKeys(tvPost(), RefreshStatements.Emit.ROWS);
        assertThat(sql)
                // a jsonb document goes as it is stored
                .contains("RETURNING t.\"id\" AS k, t.\"data\" AS d, (t.xmax = 0) AS i)")
                .contains("RETURNING t.\"id\" AS k)")
                .contains("ev AS (SELECT pg_logical_emit_message(true, 'tviewd', json_build_object('v', 3, 'a', (SELECT key FROM tviewd.event_key), 't', 'public.tv_post', "
                        + "'c', CAST(? AS json), 'x', txid_current(), 'r', clock_timestamp(), "
                        + "'e', json_agg(json_build_array(e.o, e.k, e.d) ORDER BY e.n))::text)")
                .contains("SELECT CASE WHEN up.i THEN 'i' ELSE 'u' END AS o, to_jsonb(up.k) AS k, up.d FROM up UNION ALL SELECT 'd', to_jsonb(del.k), NULL FROM del")
                .contains("GROUP BY (e.n - 1) / 500)")
                .endsWith("(SELECT count(*) FROM ev)");
        // a json document is made jsonb, as every event's data is
        Tview jsonDocument = new Tview(tvPost().table(), tvPost().sourceView(), "id", "uuid", tvPost().columns(),
                Map.of("id", "uuid", "pk_post", "bigint", "data", "json"), tvPost().touchColumns(), tvPost().baseTables(), List.of());
        assertThat(RefreshStatements.refreshByKeys(jsonDocument, RefreshStatements.Emit.ROWS))
                .contains("RETURNING t.\"id\" AS k, to_jsonb(t.\"data\") AS d, (t.xmax = 0) AS i)");
        // parameters: keys, keys, context
        assertThat(sql.chars().filter(ch -> ch == '?').count()).isEqualTo(3);
        assertThat(RefreshStatements.refreshAll(tvPost(), RefreshStatements.Emit.ROWS).chars().filter(ch -> ch == '?').count()).isEqualTo(1);
    }

    @Test
    void refreshByKeys_withEvents_ofATviewWithoutADocumentColumn_emitsTheWholeRow() {
        Tview sales = new Tview(new TableName("public", "ta_sale"), new TableName("public", "va_sale"), "id", "bigint",
                List.of("id", "amount"), Map.of("id", "bigint", "amount", "numeric"), List.of(),
                List.of(new BaseTable(TB_POST, List.of("pk_post"), List.of("pk_post"), 'f')), List.of());
        assertThat(RefreshStatements.refreshByKeys(sales, RefreshStatements.Emit.ROWS))
                .contains("RETURNING t.\"id\" AS k, to_jsonb(t) AS d, (t.xmax = 0) AS i)");
    }

    @Test
    void refreshByKeys_withEventsWithoutRows_leavesTheRowOutOfTheMessage() {
        String sql = RefreshStatements.refreshByKeys(tvPost(), RefreshStatements.Emit.KEYS);
        assertThat(sql).contains("RETURNING t.\"id\" AS k, NULL::jsonb AS d, (t.xmax = 0) AS i)")
                .contains("pg_logical_emit_message(true, 'tviewd'")
                .contains("json_build_array(e.o, e.k) ORDER BY e.n")
                .doesNotContain("to_jsonb(t)");
        assertThat(sql.chars().filter(ch -> ch == '?').count()).isEqualTo(3);
    }

    @Test
    void refreshByKeys_withTrackedColumns_returnsTheirOldAndNewValuesOverChangedRows() {
        String sql = RefreshStatements.refreshByKeys(tvPost(), RefreshStatements.Emit.NONE, java.util.List.of("pk_post"));
        assertThat(sql).contains("RETURNING t.\"id\" AS k, t.\"pk_post\" AS x0)")
                .contains("old AS (SELECT t.\"id\" AS k, t.\"pk_post\" AS x0 FROM \"public\".\"tv_post\" t WHERE t.\"id\" IN (SELECT up.k FROM up))")
                .endsWith(", 0, (SELECT array_agg(DISTINCT c.v) FROM (SELECT up.x0::text AS v FROM up UNION ALL SELECT old.x0::text FROM old"
                        + " UNION ALL SELECT del.x0::text FROM del) c WHERE c.v IS NOT NULL)");
        // without readers the statement is unchanged
        assertThat(RefreshStatements.refreshByKeys(tvPost(), RefreshStatements.Emit.NONE, java.util.List.of()))
                .isEqualTo(RefreshStatements.refreshByKeys(tvPost(), RefreshStatements.Emit.NONE));
    }

    @Test
    void refreshAll_hasNoKeyFilter() {
        String sql = RefreshStatements.refreshAll(tvPost(), RefreshStatements.Emit.NONE);
        assertThat(sql).startsWith("WITH src AS (SELECT v.\"id\", v.\"pk_post\", v.\"data\" FROM \"public\".\"v_post\" v),")
                .contains("del AS (DELETE FROM \"public\".\"tv_post\" t WHERE NOT EXISTS")
                .doesNotContain("?");
    }

    @Test
    void refreshByKeys_bigintKeyWithoutTouchColumns_castsToBigint() {
        Tview ta = new Tview(new TableName("public", "ta_post"), new TableName("public", "va_post"), "pk_post", "bigint",
                List.of("pk_post", "title"), Map.of("pk_post", "bigint", "title", "text"), List.of(), List.of(), List.of());
        String sql = RefreshStatements.refreshByKeys(ta, RefreshStatements.Emit.NONE);
        assertThat(sql).contains("v.\"pk_post\" = ANY(CAST(? AS text[])::bigint[])")
                .contains("INSERT INTO \"public\".\"ta_post\" AS t (\"pk_post\", \"title\")")
                .contains("SELECT \"pk_post\", \"title\" FROM src")
                .contains("DO UPDATE SET \"title\" = EXCLUDED.\"title\"")
                .doesNotContain("now()");
    }

    @Test
    void refresh_keyOnlyTview_doesNothingOnConflict() {
        Tview keys = new Tview(new TableName("public", "tv_tag"), new TableName("public", "v_tag"), "id", "uuid",
                List.of("id"), Map.of("id", "uuid"), List.of(), List.of(), List.of());
        assertThat(RefreshStatements.refreshByKeys(keys, RefreshStatements.Emit.NONE)).contains("ON CONFLICT (\"id\") DO NOTHING");
    }

    @Test
    void jsonColumns_areComparedAsText() {
        Tview json = new Tview(new TableName("public", "tv_doc"), new TableName("public", "v_doc"), "id", "uuid",
                List.of("id", "data"), Map.of("id", "uuid", "data", "json"), List.of(), List.of(), List.of());
        assertThat(RefreshStatements.refreshByKeys(json, RefreshStatements.Emit.NONE))
                .contains("WHERE ROW(t.\"data\"::text) IS DISTINCT FROM ROW(EXCLUDED.\"data\"::text)");
        assertThat(RefreshStatements.differingKeys(json, 5)).contains("\"data\"::text AS \"data\"");
    }

    @Test
    void identifiers_areQuoted() {
        Tview odd = new Tview(new TableName("my schema", "tv_\"x"), new TableName("public", "v_x"), "id", "uuid",
                List.of("id"), Map.of("id", "uuid"), List.of(), List.of(), List.of());
        assertThat(RefreshStatements.refreshAll(odd, RefreshStatements.Emit.NONE)).contains("INSERT INTO \"my schema\".\"tv_\"\"x\" AS t");
    }

    @Test
    void lookupKeys_lineageAndForeignKeyMappings() {
        Tview t = tvPost();
        assertThat(RefreshStatements.lookupKeys(t, new KeyMapping.Lineage(TB_POST, "pk_post", "pk_post", "bigint")))
                .isEqualTo("SELECT t.\"id\"::text FROM \"public\".\"tv_post\" t WHERE t.\"pk_post\" = ANY(CAST(? AS text[])::bigint[])");
        TableName tbComment = new TableName("public", "tb_comment");
        assertThat(RefreshStatements.lookupKeys(t, new KeyMapping.Path(tbComment, "fk_post", "bigint",
                List.of(new KeyMapping.Hop(TB_POST, "pk_post", null)), "id", "child")))
                .isEqualTo("SELECT DISTINCT t1.\"id\"::text FROM \"public\".\"tb_post\" t1 WHERE t1.\"pk_post\" = ANY(CAST(? AS text[])::bigint[])");
        TableName tbUser = new TableName("public", "tb_user");
        assertThat(RefreshStatements.lookupKeys(t, new KeyMapping.Path(tbUser, "pk_user", "bigint",
                List.of(new KeyMapping.Hop(TB_POST, "fk_author", null)), "id", "parent")))
                .isEqualTo("SELECT DISTINCT t1.\"id\"::text FROM \"public\".\"tb_post\" t1 WHERE t1.\"fk_author\" = ANY(CAST(? AS text[])::bigint[])");
        assertThatThrownBy(() -> RefreshStatements.lookupKeys(t, new KeyMapping.Direct(TB_POST, "id")))
                .hasMessageContaining("root");
    }

    @Test
    void lookupKeys_multiHopPath_joinsEveryHopOnItsColumns() {
        // tb_tag.pk_tag <- tb_post_tag.fk_tag, tb_post_tag.fk_post -> tb_post.pk_post (junction table)
        TableName tbTag = new TableName("public", "tb_tag");
        TableName tbPostTag = new TableName("public", "tb_post_tag");
        KeyMapping.Path p = new KeyMapping.Path(tbTag, "pk_tag", "bigint", List.of(
                new KeyMapping.Hop(tbPostTag, "fk_tag", "fk_post"), new KeyMapping.Hop(TB_POST, "pk_post", null)), "id", "multi-hop");
        assertThat(RefreshStatements.lookupKeys(tvPost(), p)).isEqualTo("SELECT DISTINCT t2.\"id\"::text FROM \"public\".\"tb_post_tag\" t1 "
                + "JOIN \"public\".\"tb_post\" t2 ON t1.\"fk_post\" = t2.\"pk_post\" WHERE t1.\"fk_tag\" = ANY(CAST(? AS text[])::bigint[])");
        assertThat(p.describe()).isEqualTo("tb_tag.pk_tag → tb_post_tag.fk_tag / fk_post → tb_post.pk_post");
    }

    @Test
    void lookupKeys_explicitMapping_bindsEveryValuesPlaceholder() {
        KeyMapping.Explicit e = new KeyMapping.Explicit(TB_POST, "fk_author", "bigint",
                "SELECT id FROM tb_post WHERE fk_author = ANY(:values) OR fk_editor = ANY(:values)");
        assertThat(RefreshStatements.lookupKeys(tvPost(), e)).isEqualTo("SELECT k::text FROM (SELECT id FROM tb_post WHERE "
                + "fk_author = ANY(CAST(? AS text[])::bigint[]) OR fk_editor = ANY(CAST(? AS text[])::bigint[])) AS explicit_keys(k)");
        assertThat(RefreshStatements.lookupParameterCount(e)).isEqualTo(2);
    }

    @Test
    void differingKeys_comparesBothDirections() {
        String sql = RefreshStatements.differingKeys(tvPost(), 10);
        assertThat(sql).contains("FROM \"public\".\"v_post\" EXCEPT ALL SELECT")
                .contains("FROM \"public\".\"tv_post\" EXCEPT ALL SELECT")
                .endsWith("ORDER BY 1 LIMIT 10");
    }
}
