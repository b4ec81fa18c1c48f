package io.tviewd.daemon;

import static io.tviewd.daemon.support.Sql.exec;
import static io.tviewd.daemon.support.Sql.session;
import static io.tviewd.daemon.support.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.tviewd.config.ConfigLoader;
import io.tviewd.config.DatabaseConfig;
import io.tviewd.daemon.support.Configs;
import io.tviewd.daemon.support.Daemons;
import io.tviewd.daemon.support.Http;
import io.tviewd.daemon.support.BlogDatabase;
import io.vertx.core.json.JsonObject;

/**
 * Declared tviews next to convention ones, a tview refused at discovery, and a poisoned view that is
 * quarantined while the other tviews keep refreshing, then recovers.
 */
class DiscoveryAndQuarantineIT {

    private static DatabaseConfig db;
    private static Daemon daemon;

    @BeforeAll
    static void start() throws Exception {
        db = BlogDatabase.create("discovery", 20, 50, 50);
        try (Connection c = session(db)) {
            exec(c, """
                    -- a cache outside the naming convention, declared in config with its key
                    CREATE TABLE post_cache (id uuid PRIMARY KEY, data jsonb NOT NULL, refreshed_at timestamptz);
                    CREATE VIEW post_cache_source AS SELECT id, data FROM v_post;
                    -- convention names but no primary key: refused with the reason
                    CREATE TABLE tv_nokey (id uuid, data jsonb);
                    CREATE VIEW v_nokey AS SELECT id, data FROM v_post;
                    -- a view that fails for some rows: its tview gets quarantined
                    CREATE TABLE tb_gauge (pk_gauge bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                                           id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(), reading int NOT NULL);
                    ALTER TABLE tb_gauge REPLICA IDENTITY FULL;
                    CREATE VIEW v_gauge AS SELECT id, jsonb_build_object('inverse', 100 / (reading - 13)) AS data FROM tb_gauge;
                    CREATE TABLE tv_gauge (id uuid PRIMARY KEY, data jsonb NOT NULL);
                    INSERT INTO tb_gauge (reading) VALUES (1), (2);
                    -- two tviews whose views read each other: a dependency cycle
                    CREATE TABLE tv_ping (id uuid PRIMARY KEY, data jsonb);
                    CREATE TABLE tv_pong (id uuid PRIMARY KEY, data jsonb);
                    CREATE VIEW v_ping AS SELECT id, data FROM tv_pong;
                    CREATE VIEW v_pong AS SELECT id, data FROM tv_ping;
                    """);
        }
        var config = ConfigLoader.loadYaml("""
                tviews:
                  - table: post_cache
                    source-view: post_cache_source
                    key: id
                refresh:
                  quarantine-retry: 500ms
                """, Configs.env(db, "TVIEWD_CDC_SLOT_NAME", "discovery"));
        daemon = Daemons.started(config);
    }

    @AfterAll
    static void stop() {
        if (daemon != null) {
            daemon.close();
        }
    }

    @Test
    void declaredTview_isMaintainedBesideConventionOnes() throws Exception {
        assertThat(daemon.pipeline().status().keySet())
                .containsExactlyInAnyOrder("ta_post", "tv_post", "tv_user", "tv_gauge", "post_cache");
        try (Connection c = session(db)) {
            exec(c, "UPDATE tb_post SET title = 'declared' WHERE pk_post = 1");
            await().atMost(Duration.ofSeconds(20)).until(() ->
                    "declared".equals(text(c, "SELECT c.data->>'title' FROM post_cache c JOIN tb_post p USING (id) WHERE p.pk_post = 1")));
        }
    }

    @Test
    void tviewWithoutKey_isRefusedWithTheReasonInTheApi() throws Exception {
        JsonObject list = new JsonObject(Http.get(daemon.httpPort(), "/api/v1/tviews").body());
        assertThat(list.getJsonObject("refused").getString("public.tv_nokey"))
                .isEqualTo("Tview public.tv_nokey has no single-column primary key: add one (uuid id or bigint pk_nokey) "
                        + "or declare `key` for it under `tviews`");
    }

    @Test
    void dependencyCycle_isRefusedNamingIt() throws Exception {
        JsonObject refused = new JsonObject(Http.get(daemon.httpPort(), "/api/v1/tviews").body()).getJsonObject("refused");
        assertThat(refused.getString("public.tv_ping")).startsWith("Tview dependency cycle: public.tv_ping reads itself")
                .contains("public.tv_pong");
        assertThat(refused.getString("public.tv_pong")).startsWith("Tview dependency cycle: public.tv_pong reads itself");
    }

    @Test
    void poisonedView_isQuarantinedOthersKeepRefreshing_andItRecovers() throws Exception {
        try (Connection c = session(db)) {
            exec(c, "INSERT INTO tb_gauge (reading) VALUES (13)");   // v_gauge divides by zero for this row
            await().atMost(Duration.ofSeconds(20)).until(() -> daemon.pipeline().status().get("tv_gauge").quarantined());
            JsonObject gauge = new JsonObject(Http.get(daemon.httpPort(), "/api/v1/tviews/tv_gauge").body());
            assertThat(gauge.getBoolean("quarantined")).isTrue();
            assertThat(gauge.getString("lastError")).contains("refresh of public.tv_gauge from public.v_gauge failed")
                    .contains("division by zero");

            // the other tviews keep refreshing meanwhile
            exec(c, "UPDATE tb_post SET title = 'still fresh' WHERE pk_post = 2");
            await().atMost(Duration.ofSeconds(20)).until(() ->
                    "still fresh".equals(text(c, "SELECT t.data->>'title' FROM tv_post t JOIN tb_post p USING (id) WHERE p.pk_post = 2")));
            assertThat(daemon.pipeline().status().get("tv_gauge").quarantined()).isTrue();

            // fix the data: the periodic full refresh succeeds and the tview catches up with changes made meanwhile
            exec(c, "UPDATE tb_gauge SET reading = 14 WHERE reading = 13");
            exec(c, "INSERT INTO tb_gauge (reading) VALUES (113)");
            await().atMost(Duration.ofSeconds(20)).until(() -> !daemon.pipeline().status().get("tv_gauge").quarantined());
            await().atMost(Duration.ofSeconds(20)).until(() ->
                    "4".equals(text(c, "SELECT count(*)::text FROM tv_gauge")));
            assertThat(text(c, "SELECT count(*)::text FROM (SELECT * FROM v_gauge EXCEPT SELECT * FROM tv_gauge) d"))
                    .isEqualTo("0");
        }
    }
}
