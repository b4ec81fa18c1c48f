package io.tviewd.daemon;

import static io.tviewd.daemon.support.Sql.exec;
import static io.tviewd.daemon.support.Sql.session;
import static io.tviewd.daemon.support.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tviewd.config.ConfigLoader;
import io.tviewd.config.DatabaseConfig;
import io.tviewd.daemon.support.BlogDatabase;
import io.tviewd.daemon.support.Cli;
import io.tviewd.daemon.support.Configs;
import io.tviewd.daemon.support.Daemons;
import io.tviewd.daemon.support.Http;
import io.vertx.core.json.JsonObject;

/** Scheduled and manual modes beside cdc, visible in the API, the metrics and {@code tviewd status}. */
class ModesIT {

    @Test
    void cronSchedule_plansTheNextMatchingMinute() throws Exception {
        DatabaseConfig db = BlogDatabase.create("modes_cron", 5, 10, 10);
        var config = ConfigLoader.loadYaml("""
                tviews:
                  - table: tv_user
                    mode: scheduled
                    schedule: "*/2 * * * *"
                """, Configs.env(db, "TVIEWD_CDC_SLOT_NAME", "modes_cron"));
        try (Daemon daemon = Daemons.started(config)) {
            JsonObject schedule = new JsonObject(Http.get(daemon.httpPort(), "/api/v1/tviews/tv_user").body()).getJsonObject("schedule");
            assertThat(schedule.getString("spec")).isEqualTo("*/2 * * * *");
            assertThat(schedule.getValue("intervalMs")).isNull();
            java.time.Instant next = java.time.Instant.parse(schedule.getString("nextRunAt"));
            assertThat(next).isAfter(java.time.Instant.now()).isBefore(java.time.Instant.now().plusSeconds(121));
            assertThat(next.atZone(java.time.ZoneOffset.UTC).getMinute() % 2).isZero();
            assertThat(next.atZone(java.time.ZoneOffset.UTC).getSecond()).isZero();
        }
    }

    @Test
    void scheduledManualAndCdc_eachRefreshByTheirOwnDriver(@TempDir Path dir) throws Exception {
        DatabaseConfig db = BlogDatabase.create("modes", 20, 60, 60);
        var config = ConfigLoader.loadYaml("""
                tviews:
                  - table: tv_post
                    mode: scheduled
                    schedule: 300ms
                  - table: tv_user
                    mode: manual
                """, Configs.env(db, "TVIEWD_CDC_SLOT_NAME", "modes"));
        try (Daemon daemon = Daemons.started(config); Connection c = session(db)) {
            JsonObject tvPost = new JsonObject(Http.get(daemon.httpPort(), "/api/v1/tviews/tv_post").body());
            assertThat(tvPost.getString("mode")).isEqualTo("scheduled");
            assertThat(tvPost.getJsonObject("schedule").getLong("intervalMs")).isEqualTo(300);
            assertThat(new JsonObject(Http.get(daemon.httpPort(), "/api/v1/tviews/tv_user").body()).getString("mode")).isEqualTo("manual");
            assertThat(new JsonObject(Http.get(daemon.httpPort(), "/api/v1/tviews/ta_post").body()).getString("mode")).isEqualTo("cdc");

            exec(c, "UPDATE tb_post SET title = 'by schedule' WHERE pk_post = 1");
            exec(c, "UPDATE tb_user SET name = 'not yet' WHERE pk_user = 1");
            // scheduled: within a few intervals; cdc: at once; manual: not until asked
            await().atMost(Duration.ofSeconds(20)).until(() ->
                    "by schedule".equals(text(c, "SELECT t.data->>'title' FROM tv_post t JOIN tb_post p USING (id) WHERE p.pk_post = 1")));
            await().atMost(Duration.ofSeconds(20)).until(() ->
                    "by schedule".equals(text(c, "SELECT title FROM ta_post WHERE pk_post = 1")));
            JsonObject schedule = new JsonObject(Http.get(daemon.httpPort(), "/api/v1/tviews/tv_post").body()).getJsonObject("schedule");
            assertThat(schedule.getString("lastRunOutcome")).isEqualTo("ok");
            assertThat(schedule.getString("nextRunAt")).isNotNull();
            assertThat(schedule.getLong("lastRunDurationMs")).isNotNull();
            assertThat(text(c, "SELECT t.data->>'name' FROM tv_user t JOIN tb_user u USING (id) WHERE u.pk_user = 1")).isNotEqualTo("not yet");

            assertThat(Http.get(daemon.httpPort(), "/metrics").body())
                    .contains("tviewd_tview_mode{mode=\"scheduled\",tview=\"tv_post\"} 1.0")
                    .contains("tviewd_tview_mode{mode=\"manual\",tview=\"tv_user\"} 1.0")
                    .contains("tviewd_refresh_rows_total{mode=\"scheduled\",outcome=\"written\",tview=\"tv_post\"}")
                    .contains("tviewd_schedule_last_run_failed{tview=\"tv_post\"} 0.0")
                    .containsPattern("tviewd_schedule_next_run_seconds\\{tview=\"tv_post\"} 1\\.[0-9]+E9");

            Path cfg = dir.resolve("tviewd.yaml");
            Files.writeString(cfg, "database:\n  url: " + db.url() + "\n  user: " + db.user() + "\n  password: \"" + db.password().reveal()
                    + "\"\ncdc:\n  slot-name: modes\n");
            assertThat(Cli.run("refresh", "tv_user", "--config", cfg.toString()).code()).isZero();
            assertThat(text(c, "SELECT t.data->>'name' FROM tv_user t JOIN tb_user u USING (id) WHERE u.pk_user = 1")).isEqualTo("not yet");

            Cli.Result status = Cli.run("status", "--config", cfg.toString());
            assertThat(status.out()).containsPattern("tv_post +scheduled +300ms")
                    .containsPattern("tv_user +manual +-")
                    .containsPattern("ta_post +cdc")
                    .containsPattern("\nmodes +yes +")
                    .as("SSE and the event bus read the CDC slot: no slot of their own").doesNotContain("modes_ev_live");
        }
    }
}
