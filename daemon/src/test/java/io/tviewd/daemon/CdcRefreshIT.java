package io.tviewd.daemon;

import static io.tviewd.daemon.support.Sql.exec;
import static io.tviewd.daemon.support.Sql.session;
import static io.tviewd.daemon.support.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.tviewd.config.DatabaseConfig;
import io.tviewd.daemon.support.BlogDatabase;
import io.tviewd.daemon.support.Configs;
import io.tviewd.daemon.support.Daemons;
import io.tviewd.daemon.support.Http;
import io.tviewd.daemon.support.Tviews;
import io.tviewd.daemon.support.Workloads;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** The daemon in-process on a real PostgreSQL: CDC refresh of tv_/ta_ rows, convergence, endpoints. */
class CdcRefreshIT {

    private static DatabaseConfig db;
    private static Daemon daemon;

    @BeforeAll
    static void start() throws Exception {
        db = BlogDatabase.create("cdc", 50, 200, 400);
        daemon = Daemons.started(Configs.forDatabase(db, "TVIEWD_CDC_SLOT_NAME", "tviewd_cdc_it",
                "TVIEWD_CDC_HEARTBEAT_INTERVAL", "1s"));
    }

    @AfterAll
    static void stop() {
        if (daemon != null) {
            daemon.close();
        }
    }

    @Test
    void firstStart_populatesEveryTviewFromItsView() throws Exception {
        try (Connection c = session(db)) {
            assertThat(count(c, "tv_user")).isEqualTo(count(c, "v_user")).isPositive();
            assertThat(count(c, "tv_post")).isEqualTo(count(c, "v_post")).isPositive();
            assertThat(count(c, "ta_post")).isEqualTo(count(c, "va_post")).isPositive();
        }
    }

    @Test
    void insertUpdateDelete_onTbTables_reachTvAndTaRows() throws Exception {
        try (Connection c = session(db)) {
            exec(c, "INSERT INTO tb_user (identifier, name, email) VALUES ('it-user', 'Ada', 'ada@example.com')");
            exec(c, "INSERT INTO tb_post (identifier, fk_author, title, body) "
                    + "SELECT 'it-post', pk_user, 'Hello', 'World' FROM tb_user WHERE identifier = 'it-user'");
            String postId = text(c, "SELECT id::text FROM tb_post WHERE identifier = 'it-post'");
            String userId = text(c, "SELECT id::text FROM tb_user WHERE identifier = 'it-user'");

            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                assertThat(text(c, "SELECT data->>'title' FROM tv_post WHERE id = '" + postId + "'")).isEqualTo("Hello");
                assertThat(text(c, "SELECT data->>'postCount' FROM tv_user WHERE id = '" + userId + "'")).isEqualTo("1");
                assertThat(text(c, "SELECT title FROM ta_post WHERE id = '" + postId + "'")).isEqualTo("Hello");
            });

            // update of the root row, then of a parent row embedded in the document
            exec(c, "UPDATE tb_post SET title = 'Hello again' WHERE identifier = 'it-post'");
            exec(c, "UPDATE tb_user SET name = 'Ada L.' WHERE identifier = 'it-user'");
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                assertThat(text(c, "SELECT data->>'title' FROM tv_post WHERE id = '" + postId + "'")).isEqualTo("Hello again");
                assertThat(text(c, "SELECT data->'author'->>'name' FROM tv_post WHERE id = '" + postId + "'")).isEqualTo("Ada L.");
                assertThat(text(c, "SELECT author_name FROM ta_post WHERE id = '" + postId + "'")).isEqualTo("Ada L.");
            });

            // a child row (comment) changes the parent document
            exec(c, "INSERT INTO tb_comment (identifier, fk_post, fk_user, body) "
                    + "SELECT 'it-comment', p.pk_post, p.fk_author, 'First!' FROM tb_post p WHERE p.identifier = 'it-post'");
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                    assertThat(text(c, "SELECT data->'comments'->0->>'body' FROM tv_post WHERE id = '" + postId + "'"))
                            .isEqualTo("First!"));

            exec(c, "DELETE FROM tb_post WHERE identifier = 'it-post'");
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                assertThat(text(c, "SELECT count(*)::text FROM tv_post WHERE id = '" + postId + "'")).isEqualTo("0");
                assertThat(text(c, "SELECT count(*)::text FROM ta_post WHERE id = '" + postId + "'")).isEqualTo("0");
                assertThat(text(c, "SELECT data->>'postCount' FROM tv_user WHERE id = '" + userId + "'")).isEqualTo("0");
            });
        }
    }

    @Test
    void unchangedToastedColumn_isNeverWrittenAsAPlaceholder() throws Exception {
        try (Connection c = session(db)) {
            // ~64 kB of incompressible text: stored out of line (TOAST), and left unchanged by the next update
            exec(c, "UPDATE tb_post SET body = (SELECT string_agg(md5(random()::text), '') FROM generate_series(1, 2000)) "
                    + "WHERE pk_post = 3");
            exec(c, "UPDATE tb_post SET title = 'toast' WHERE pk_post = 3");
            await().atMost(Duration.ofSeconds(20)).until(() ->
                    "toast".equals(text(c, "SELECT t.data->>'title' FROM tv_post t JOIN tb_post p USING (id) WHERE p.pk_post = 3")));
            assertThat(text(c, "SELECT length(t.data->>'body')::text FROM tv_post t JOIN tb_post p USING (id) WHERE p.pk_post = 3"))
                    .isEqualTo("64000");
            assertThat(text(c, "SELECT count(*)::text FROM tv_post WHERE data::text LIKE '%unavailable%'")).isEqualTo("0");
        }
    }

    @Test
    void offsets_areStoredThroughOneLongLivedSession_notOneConnectionPerFlush() throws Exception {
        String query = "SELECT string_agg(backend_start::text, ',') FROM pg_stat_activity WHERE datname = current_database() "
                + "AND application_name = 'tviewd-offsets'";
        try (Connection c = session(db)) {
            exec(c, "UPDATE tb_post SET title = 'offsets' WHERE pk_post = (SELECT min(pk_post) FROM tb_post)");
            await().atMost(Duration.ofSeconds(20)).until(() -> text(c, query) != null && !text(c, query).contains(","));
            String session = text(c, query);
            // more changes, each stored (the flush interval is 200 ms) through that same backend
            for (int i = 0; i < 5; i++) {
                String title = "offsets " + i;
                exec(c, "UPDATE tb_post SET title = '" + title + "' WHERE pk_post = (SELECT min(pk_post) FROM tb_post)");
                await().atMost(Duration.ofSeconds(20)).until(() -> title.equals(text(c,
                        "SELECT t.data->>'title' FROM tv_post t JOIN tb_post p USING (id) ORDER BY p.pk_post LIMIT 1")));
            }
            await().during(Duration.ofMillis(600)).atMost(Duration.ofSeconds(5)).until(() -> session.equals(text(c, query)));
        }
    }

    @Test
    void unchangedContent_isNotRewritten() throws Exception {
        // settled first: a refresh of earlier tests' changes still in flight would rewrite rows checked below
        Tviews.awaitConverged(db, Duration.ofSeconds(30), "before the unchanged-content updates");
        try (Connection c = session(db)) {
            String postId = text(c, "SELECT id::text FROM tb_post ORDER BY pk_post LIMIT 1");
            exec(c, "UPDATE tb_post SET title = 'Stable ' || pk_post WHERE id = '" + postId + "'");
            await().atMost(Duration.ofSeconds(20)).until(() ->
                    text(c, "SELECT data->>'title' FROM tv_post WHERE id = '" + postId + "'").startsWith("Stable"));
            String before = text(c, "SELECT updated_at::text || '/' || xmin::text FROM tv_post WHERE id = '" + postId + "'");
            long consumed = daemon.pipeline().changesConsumed();
            // same title again: the view's row is unchanged, so the tview row must not be written (the update changes
            // no column the views read, so it maps to nothing at all)
            exec(c, "UPDATE tb_post SET title = title WHERE id = '" + postId + "'");
            await().atMost(Duration.ofSeconds(20)).until(() -> daemon.pipeline().changesConsumed() > consumed);
            assertThat(text(c, "SELECT updated_at::text || '/' || xmin::text FROM tv_post WHERE id = '" + postId + "'"))
                    .isEqualTo(before);

            // a comment moved to another post and back in one transaction: both posts are recomputed (the batch holds
            // both updates) and found unchanged, so their rows are not written either
            String comment = text(c, "SELECT pk_comment::text || ' ' || fk_post::text FROM tb_comment ORDER BY pk_comment LIMIT 1");
            String pkComment = comment.split(" ")[0];
            String home = comment.split(" ")[1];
            String away = text(c, "SELECT min(pk_post)::text FROM tb_post WHERE pk_post <> " + home);
            String rowsBefore = text(c, "SELECT string_agg(updated_at::text || '/' || xmin::text, ',' ORDER BY pk_post) FROM tv_post "
                    + "WHERE pk_post IN (" + home + ", " + away + ")");
            long noops = daemon.pipeline().status().get("tv_post").noopSkipped();
            exec(c, "BEGIN; UPDATE tb_comment SET fk_post = " + away + " WHERE pk_comment = " + pkComment + "; "
                    + "UPDATE tb_comment SET fk_post = " + home + " WHERE pk_comment = " + pkComment + "; COMMIT");
            await().atMost(Duration.ofSeconds(20)).until(() -> daemon.pipeline().status().get("tv_post").noopSkipped() >= noops + 2);
            assertThat(text(c, "SELECT string_agg(updated_at::text || '/' || xmin::text, ',' ORDER BY pk_post) FROM tv_post "
                    + "WHERE pk_post IN (" + home + ", " + away + ")")).isEqualTo(rowsBefore);
        }
    }

    @Test
    void updateOfColumnsNoViewReads_mapsToNothing_whileAReadColumnStillRefreshes() throws Exception {
        try (Connection c = session(db)) {
            // settled first: earlier tests' changes may still be in flight
            Tviews.awaitConverged(db, Duration.ofSeconds(30), "before the unread-column update");
            String postId = text(c, "SELECT id::text FROM tb_post ORDER BY pk_post LIMIT 1 OFFSET 3");
            String rowBefore = text(c, "SELECT updated_at::text || '/' || xmin::text FROM tv_post WHERE id = '" + postId + "'");
            long ignoredBefore = daemon.pipeline().status().get("tv_post").toJson().getJsonObject("counters").getLong("changesIgnored");
            // no view reads tb_post.updated_at: the change maps to no tview key, so the row is not even recomputed
            exec(c, "UPDATE tb_post SET updated_at = now() + interval '1 day' WHERE id = '" + postId + "'");
            await().atMost(Duration.ofSeconds(20)).until(() -> daemon.pipeline().status().get("tv_post").toJson()
                    .getJsonObject("counters").getLong("changesIgnored") > ignoredBefore);
            assertThat(text(c, "SELECT updated_at::text || '/' || xmin::text FROM tv_post WHERE id = '" + postId + "'"))
                    .as("the tview row after an update of an unread column").isEqualTo(rowBefore);
            JsonObject tbPost = daemon.pipeline().status().get("tv_post").toJson().getJsonArray("baseTables").stream()
                    .map(JsonObject.class::cast).filter(b -> b.getString("table").equals("public.tb_post")).findFirst().orElseThrow();
            assertThat(tbPost.getJsonArray("readColumns").getList()).contains("title", "fk_author").doesNotContain("updated_at");
            // in one statement with a read column, the change refreshes
            exec(c, "UPDATE tb_post SET updated_at = now(), title = 'read column' WHERE id = '" + postId + "'");
            await().atMost(Duration.ofSeconds(20)).until(() ->
                    "read column".equals(text(c, "SELECT data->>'title' FROM tv_post WHERE id = '" + postId + "'")));
        }
        Tviews.awaitConverged(db, Duration.ofSeconds(30), "after updates of unread columns");
    }

    @Test
    void randomConcurrentWorkload_everyTviewEqualsItsView() throws Exception {
        long seed = Workloads.seed();
        int ops = Workloads.opsPerWriter(400);
        long committed = Workloads.run(db, seed, 3, ops);
        assertThat(committed).isPositive();
        Tviews.awaitConverged(db, Duration.ofSeconds(60), "seed " + seed + ", " + ops + " ops per writer");
    }

    @Test
    void idleTviewTables_heartbeatsLetTheSlotAdvance() throws Exception {
        try (Connection c = session(db)) {
            // WAL written only outside the publication: without heartbeats the slot would hold it forever
            exec(c, "CREATE TABLE IF NOT EXISTS scratch (x int)");
            exec(c, "INSERT INTO scratch SELECT generate_series(1, 5000)");
            String walNow = text(c, "SELECT pg_current_wal_lsn()::text");
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() ->
                    "t".equals(text(c, "SELECT (confirmed_flush_lsn >= '" + walNow + "'::pg_lsn)::text FROM pg_replication_slots "
                            + "WHERE slot_name = 'tviewd_cdc_it'").substring(0, 1)));
        }
    }

    @Test
    void endpoints_answerAsDocumented() throws Exception {
        int port = daemon.httpPort();
        HttpResponse<String> live = Http.get(port, "/health/live");
        assertThat(live.statusCode()).isEqualTo(200);
        assertThat(new JsonObject(live.body()).getString("status")).isEqualTo("UP");

        HttpResponse<String> ready = Http.get(port, "/health/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        JsonArray checks = new JsonObject(ready.body()).getJsonArray("checks");
        assertThat(checks.stream().map(o -> ((JsonObject) o).getString("id") + "=" + ((JsonObject) o).getString("status")))
                .containsExactlyInAnyOrder("database=UP", "cdc=UP", "tviews=UP", "events-live=UP");

        try (Connection c = session(db)) {
            exec(c, "UPDATE tb_post SET title = 'metrics' WHERE pk_post = (SELECT min(pk_post) FROM tb_post)");
        }
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            String metrics = Http.get(port, "/metrics").body();
            assertThat(metrics)
                    .contains("tviewd_cdc_changes_total{table=\"public.tb_post\"}")
                    .contains("tviewd_refresh_rows_total{mode=\"cdc\",outcome=\"written\",tview=\"tv_post\"}")
                    .contains("tviewd_refresh_rows_total{mode=\"cdc\",outcome=\"unchanged\",tview=\"tv_user\"}")
                    .contains("tviewd_refresh_duration_seconds_bucket{mode=\"cdc\",tview=\"ta_post\"")
                    .contains("tviewd_cdc_lag_milliseconds")
                    .contains("tviewd_tview_mapping{kind=\"parent\",table=\"public.tb_user\",tview=\"tv_post\"} 1.0")
                    .contains("tviewd_tview_keys_mapped_total{table=\"public.tb_post\",tview=\"tv_post\"}");
        });

        HttpResponse<String> list = Http.get(port, "/api/v1/tviews");
        assertThat(list.statusCode()).isEqualTo(200);
        JsonArray tviews = new JsonObject(list.body()).getJsonArray("tviews");
        assertThat(tviews.stream().map(o -> ((JsonObject) o).getString("name"))).containsExactly("ta_post", "tv_post", "tv_user");

        HttpResponse<String> one = Http.get(port, "/api/v1/tviews/ta_post");
        assertThat(one.statusCode()).isEqualTo(200);
        JsonObject taPost = new JsonObject(one.body());
        assertThat(taPost.getString("key")).isEqualTo("pk_post");
        assertThat(taPost.getString("keyType")).isEqualTo("bigint");
        assertThat(taPost.getString("mode")).isEqualTo("cdc");
        assertThat(taPost.getString("sourceView")).isEqualTo("public.va_post");
        assertThat(taPost.getString("lastRefreshAt")).isNotNull();
        assertThat(taPost.getJsonObject("counters").getLong("rowsWritten")).isPositive();
        assertThat(taPost.getJsonArray("baseTables").stream().map(o -> ((JsonObject) o).getString("table")))
                .containsExactlyInAnyOrder("public.tb_post", "public.tb_user", "public.tb_comment");

        assertThat(VerifyPopulateIT.post(port, "/api/v1/tviews/tv_post/verify", "anything").statusCode())
                .as("mutating endpoints are off without http.token").isEqualTo(403);

        HttpResponse<String> missing = Http.get(port, "/api/v1/tviews/tv_nope");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(new JsonObject(missing.body()).getString("error")).contains("No tview named 'tv_nope'").contains("tv_post");
    }

    private static long count(Connection c, String rel) throws SQLException {
        return Long.parseLong(text(c, "SELECT count(*)::text FROM " + rel));
    }

    /** A schema and a tview whose names hold a dot and a quote: discovered, refreshed, named exactly in the API and in events. */
    @Test
    void namesWithDotsAndQuotes_areDiscoveredRefreshedAndNamedExactly() throws Exception {
        DatabaseConfig db = io.tviewd.daemon.support.TestDatabase.get().createDatabase("dotted");
        try (Connection c = session(db)) {
            exec(c, "CREATE SCHEMA \"my.app\"");
            exec(c, "CREATE TABLE \"my.app\".tb_item (pk_item bigint PRIMARY KEY, id uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE, name text)");
            exec(c, "CREATE VIEW \"my.app\".\"v_it\"\"em\" AS SELECT id, pk_item, jsonb_build_object('name', name) AS data FROM \"my.app\".tb_item");
            exec(c, "CREATE TABLE \"my.app\".\"tv_it\"\"em\" (id uuid PRIMARY KEY, pk_item bigint NOT NULL, data jsonb NOT NULL)");
            exec(c, "INSERT INTO \"my.app\".tb_item (pk_item, name) SELECT g, 'item ' || g FROM generate_series(1, 20) g");
        }
        try (Daemon daemon = Daemons.started(Configs.forDatabase(db, "TVIEWD_CDC_SLOT_NAME", "dotted", "TVIEWD_DISCOVERY_SCHEMAS", "my.app",
                // another engine name than the class's daemon, which runs beside this one
                "TVIEWD_CDC_TOPIC_PREFIX", "dotted"));
             Connection c = session(db)) {
            assertThat(daemon.refused()).isEmpty();
            assertThat(daemon.pipeline().status().values()).extracting(st -> st.plan().tview().table().toString())
                    .containsExactly("\"my.app\".\"tv_it\"\"em\"");
            exec(c, "UPDATE \"my.app\".tb_item SET name = 'renamed' WHERE pk_item = 7");
            exec(c, "DELETE FROM \"my.app\".tb_item WHERE pk_item = 8");
            String drift = "SELECT count(*)::text FROM ((SELECT id, pk_item, data FROM \"my.app\".\"v_it\"\"em\" EXCEPT SELECT id, pk_item, data "
                    + "FROM \"my.app\".\"tv_it\"\"em\") UNION ALL (SELECT id, pk_item, data FROM \"my.app\".\"tv_it\"\"em\" EXCEPT "
                    + "SELECT id, pk_item, data FROM \"my.app\".\"v_it\"\"em\")) d";
            await().atMost(Duration.ofSeconds(30)).until(() -> text(c, drift).equals("0")
                    && text(c, "SELECT data->>'name' FROM \"my.app\".\"tv_it\"\"em\" WHERE pk_item = 7").equals("renamed"));
            HttpResponse<String> api = Http.get(daemon.httpPort(), "/api/v1/tviews");
            assertThat(api.body()).contains("\"table\":\"\\\"my.app\\\".\\\"tv_it\\\"\\\"em\\\"\"");
        }
    }
}
