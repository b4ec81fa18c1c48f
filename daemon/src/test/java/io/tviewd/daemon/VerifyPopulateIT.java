package io.tviewd.daemon;

import static io.tviewd.daemon.support.Sql.exec;
import static io.tviewd.daemon.support.Sql.session;
import static io.tviewd.daemon.support.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tviewd.config.DatabaseConfig;
import io.tviewd.daemon.cli.Main;
import io.tviewd.daemon.support.BlogDatabase;
import io.tviewd.daemon.support.Cli;
import io.tviewd.daemon.support.Configs;
import io.tviewd.daemon.support.Daemons;
import io.tviewd.daemon.support.Tviews;
import io.vertx.core.json.JsonObject;

/** {@code populate} and {@code verify [--repair]} from the CLI, and verify through the API. */
class VerifyPopulateIT {

    @Test
    void populateThenVerify_findsEveryKindOfDrift_andRepairsExactlyIt(@TempDir Path dir) throws Exception {
        DatabaseConfig db = BlogDatabase.create("verify", 30, 120, 200);
        Path cfg = config(dir, db);

        Cli.Result populated = Cli.run("populate", "tv_post", "--chunk-size", "25", "--config", cfg.toString());
        assertThat(populated.code()).as(populated.err()).isZero();
        assertThat(populated.out()).contains("[##############################] 100% 120/120 rows")
                .contains("tv_post populated from public.v_post: 120 rows visited, 120 written, 0 deleted");
        assertThat(Tviews.drift(db)).doesNotContainKey("tv_post");

        try (Connection c = session(db)) {
            exec(c, "DELETE FROM tv_post WHERE id IN (SELECT id FROM tv_post ORDER BY id LIMIT 3)");
            exec(c, "UPDATE tv_post SET data = data || '{\"title\": \"tampered\"}' WHERE id IN (SELECT id FROM tv_post ORDER BY id DESC LIMIT 2)");
            exec(c, "INSERT INTO tv_post (id, pk_post, identifier, data) VALUES ('ffffffff-ffff-ffff-ffff-ffffffffffff', -1, 'ghost', '{}')");
        }
        Cli.Result found = Cli.run("verify", "tv_post", "--chunk-size", "7", "--config", cfg.toString());
        assertThat(found.code()).as(found.out() + found.err()).isEqualTo(Main.EXIT_DRIFT);
        assertThat(found.out()).contains("tv_post: 118 keys checked; missing 3 ")
                .contains(", extra 1 [ffffffff-ffff-ffff-ffff-ffffffffffff], differing 2 ")
                .contains("run `tviewd verify tv_post --repair`");

        Cli.Result repaired = Cli.run("verify", "tv_post", "--repair", "--chunk-size", "7", "--config", cfg.toString());
        assertThat(repaired.code()).isZero();
        assertThat(repaired.out()).contains("Repaired 6 keys.");
        Cli.Result clean = Cli.run("verify", "tv_post", "--config", cfg.toString());
        assertThat(clean.code()).isZero();
        assertThat(clean.out()).contains("No drift: tv_post equals public.v_post.");

        // a rebuild over a tview with stale and extra rows
        try (Connection c = session(db)) {
            exec(c, "UPDATE tv_post SET data = '{}'");
            exec(c, "INSERT INTO tv_post (id, pk_post, identifier, data) VALUES ('eeeeeeee-ffff-ffff-ffff-ffffffffffff', -2, 'ghost2', '{}')");
        }
        Cli.Result rebuilt = Cli.run("populate", "tv_post", "--chunk-size", "50", "--config", cfg.toString());
        assertThat(rebuilt.out()).contains("120 rows visited, 120 written, 1 deleted");
        assertThat(Tviews.drift(db)).doesNotContainKey("tv_post");
    }

    @Test
    void manualRefresh_givenKeysOrWholeTview(@TempDir Path dir) throws Exception {
        DatabaseConfig db = BlogDatabase.create("manual", 10, 30, 30);
        Path cfg = config(dir, db);
        assertThat(Cli.run("refresh", "tv_post", "--config", cfg.toString()).out())
                .contains("tv_post refreshed (all rows): 30 keys recomputed, 30 written, 0 deleted, 0 unchanged");
        String k1;
        String k2;
        try (Connection c = session(db)) {
            k1 = text(c, "SELECT id::text FROM tv_post ORDER BY id LIMIT 1");
            k2 = text(c, "SELECT id::text FROM tv_post ORDER BY id DESC LIMIT 1");
            exec(c, "UPDATE tv_post SET data = '{}'");
        }
        Cli.Result some = Cli.run("refresh", "tv_post", "--keys", k1 + "," + k2, "--config", cfg.toString());
        assertThat(some.code()).as(some.err()).isZero();
        assertThat(some.out()).contains("tv_post refreshed: 2 keys recomputed, 2 written, 0 deleted, 0 unchanged");
        try (Connection c = session(db)) {
            assertThat(text(c, "SELECT count(*)::text FROM tv_post WHERE data = '{}'")).isEqualTo("28");
        }
        assertThat(Cli.run("refresh", "tv_post", "--config", cfg.toString()).out()).contains("28 written");
        assertThat(Tviews.drift(db)).doesNotContainKey("tv_post");
    }

    @Test
    void verify_unknownTview_namesTheKnownOnes(@TempDir Path dir) throws Exception {
        DatabaseConfig db = BlogDatabase.create("verify_unknown", 5, 5, 5);
        Cli.Result r = Cli.run("verify", "tv_nope", "--config", config(dir, db).toString());
        assertThat(r.code()).isEqualTo(Main.EXIT_FAILURE);
        assertThat(r.err()).contains("no tview named 'tv_nope'").contains("tv_post");
    }

    @Test
    void verifyEndpoint_needsTheBearerToken_andRepairs() throws Exception {
        DatabaseConfig db = BlogDatabase.create("verify_api", 20, 60, 60);
        try (Daemon daemon = Daemons.started(Configs.forDatabase(db, "TVIEWD_CDC_SLOT_NAME", "verify_api", "TVIEWD_HTTP_TOKEN", "s3cret"))) {
            try (Connection c = session(db)) {
                exec(c, "UPDATE tv_post SET data = '{}' WHERE id = (SELECT id FROM tv_post ORDER BY id LIMIT 1)");
            }
            // with a token set, reading needs it too (plans, errors with row values, events); health does not
            int port = daemon.httpPort();
            assertThat(io.tviewd.daemon.support.Http.get(port, "/api/v1/tviews").statusCode()).isEqualTo(401);
            assertThat(io.tviewd.daemon.support.Http.get(port, "/api/v1/tviews/tv_post").statusCode()).isEqualTo(401);
            assertThat(io.tviewd.daemon.support.Http.get(port, "/metrics").statusCode()).isEqualTo(401);
            assertThat(io.tviewd.daemon.support.Http.get(port, "/api/v1/tviews", "s3cret").statusCode()).isEqualTo(200);
            assertThat(io.tviewd.daemon.support.Http.get(port, "/metrics", "s3cret").statusCode()).isEqualTo(200);
            assertThat(io.tviewd.daemon.support.Http.get(port, "/health/ready").statusCode()).isEqualTo(200);
            assertThat(io.tviewd.daemon.support.Http.get(port, "/health/live").statusCode()).isEqualTo(200);
            // a page whose name was rebound to 127.0.0.1 sends its own name: refused on a loopback server
            assertThat(io.tviewd.daemon.support.Http.statusWithHost(port, "/health/live", "attacker.example:" + port)).contains(" 421 ");
            assertThat(io.tviewd.daemon.support.Http.statusWithHost(port, "/health/live", "localhost:" + port)).contains(" 200 ");
            assertThat(io.tviewd.daemon.support.Http.statusWithHost(port, "/health/live", "[::1]:" + port)).contains(" 200 ");

            String path = "/api/v1/tviews/tv_post/verify";
            assertThat(post(daemon.httpPort(), path, null).statusCode()).isEqualTo(401);
            assertThat(post(daemon.httpPort(), path, "wrong").statusCode()).isEqualTo(401);

            HttpResponse<String> check = post(daemon.httpPort(), path, "s3cret");
            assertThat(check.statusCode()).isEqualTo(200);
            JsonObject report = new JsonObject(check.body());
            assertThat(report.getLong("differing")).isEqualTo(1);
            assertThat(report.getBoolean("drift")).isTrue();
            assertThat(report.getLong("repaired")).isZero();

            HttpResponse<String> repair = post(daemon.httpPort(), path + "?repair=true", "s3cret");
            assertThat(new JsonObject(repair.body()).getLong("repaired")).isEqualTo(1);
            assertThat(new JsonObject(post(daemon.httpPort(), path, "s3cret").body()).getBoolean("drift")).isFalse();
            try (Connection c = session(db)) {
                assertThat(text(c, "SELECT count(*)::text FROM tv_post WHERE data = '{}'")).isEqualTo("0");
            }
            assertThat(post(daemon.httpPort(), "/api/v1/tviews/tv_nope/verify", "s3cret").statusCode()).isEqualTo(404);

            // manual refresh through the API: given keys, then bad input
            String key;
            try (Connection c = session(db)) {
                key = text(c, "SELECT id::text FROM tv_post ORDER BY id LIMIT 1");
                exec(c, "UPDATE tv_post SET data = '{}' WHERE id = '" + key + "'");
            }
            HttpResponse<String> refreshed = post(daemon.httpPort(), "/api/v1/tviews/tv_post/refresh", "s3cret",
                    "{\"keys\": [\"" + key + "\"]}");
            assertThat(refreshed.statusCode()).as(refreshed.body()).isEqualTo(200);
            assertThat(new JsonObject(refreshed.body()).getLong("written")).isEqualTo(1);
            assertThat(post(daemon.httpPort(), "/api/v1/tviews/tv_post/refresh", "s3cret", "not json").statusCode()).isEqualTo(400);
            assertThat(post(daemon.httpPort(), "/api/v1/tviews/tv_post/refresh", null, "{}").statusCode()).isEqualTo(401);
        }
    }

    /**
     * Admin work that cannot finish (verifies waiting on a lock another session holds on tv_post) fills the admin
     * workers; both health endpoints still answer, each within a second, and the verifies finish once the lock goes.
     */
    @Test
    void healthAnswersWithinASecond_whileAdminWorkIsStuck() throws Exception {
        DatabaseConfig db = BlogDatabase.create("health_busy", 10, 30, 30);
        try (Daemon daemon = Daemons.started(Configs.forDatabase(db, "TVIEWD_CDC_SLOT_NAME", "health_busy", "TVIEWD_HTTP_TOKEN", "s3cret"));
             Connection locker = session(db); Connection probe = session(db)) {
            locker.setAutoCommit(false);
            exec(locker, "LOCK TABLE tv_post IN ACCESS EXCLUSIVE MODE");
            java.util.List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> verifies = new java.util.ArrayList<>();
            for (int i = 0; i < 6; i++) {
                verifies.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try {
                        return post(daemon.httpPort(), "/api/v1/tviews/tv_post/verify", "s3cret");
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> Integer.parseInt(text(probe,
                    "SELECT count(*)::text FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()")) >= 1);
            for (int i = 0; i < 10; i++) {
                for (String path : java.util.List.of("/health/ready", "/health/live")) {
                    long start = System.nanoTime();
                    HttpResponse<String> r = io.tviewd.daemon.support.Http.get(daemon.httpPort(), path);
                    long ms = (System.nanoTime() - start) / 1_000_000;
                    assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
                    assertThat(ms).as(path + " answered in %d ms while verifies were stuck", ms).isLessThan(1_000);
                }
            }
            assertThat(verifies).noneMatch(java.util.concurrent.CompletableFuture::isDone);
            locker.rollback();
            for (var v : verifies) {
                assertThat(v.get(60, java.util.concurrent.TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            }
        }
    }

    static HttpResponse<String> post(int port, String path, String token) throws Exception {
        return post(port, path, token, null);
    }

    static HttpResponse<String> post(int port, String path, String token, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .timeout(Duration.ofSeconds(30));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Path config(Path dir, DatabaseConfig db) throws Exception {
        Path cfg = dir.resolve("tviewd.yaml");
        Files.writeString(cfg, "database:\n  url: " + db.url() + "\n  user: " + db.user() + "\n  password: \"" + db.password().reveal() + "\"\n");
        return cfg;
    }
}
