package io.tviewd.daemon;

import static io.tviewd.daemon.support.Sql.exec;
import static io.tviewd.daemon.support.Sql.session;
import static io.tviewd.daemon.support.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import io.tviewd.config.DatabaseConfig;
import io.tviewd.config.TviewdConfig;
import io.tviewd.daemon.support.Configs;
import io.tviewd.daemon.support.Daemons;
import io.tviewd.daemon.support.Http;
import io.tviewd.daemon.support.TestDatabase;
import io.tviewd.daemon.support.Tviews;
import io.vertx.core.json.JsonObject;

/**
 * Quarantine loses nothing: the full refresh a quarantined tview (and the tview reading it) is owed is stored before
 * the stream moves on, survives a restart, and is paid in chunks even when the whole view takes longer than
 * {@code refresh.statement-timeout}.
 */
class QuarantineRecoveryIT {

    private static final String SCHEMA = """
            CREATE TABLE tb_gauge (pk_gauge bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                                   id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
                                   reading int NOT NULL, label text NOT NULL);
            ALTER TABLE tb_gauge REPLICA IDENTITY FULL;
            -- fails for a row reading 13; costs ~0.3 ms a row (12,000 rows: seconds, over the 1 s statement timeout)
            CREATE VIEW v_gauge AS
                SELECT id, jsonb_build_object('inverse', 100 / (reading - 13), 'label', label,
                                              'digest', md5(repeat(lpad(label, 8, '-'), 12500))) AS data
                FROM tb_gauge;
            CREATE TABLE tv_gauge (id uuid PRIMARY KEY, data jsonb NOT NULL);
            -- a nested tview: its rows embed tv_gauge's
            CREATE VIEW v_gaugedoc AS SELECT g.id, jsonb_build_object('gauge', g.data->'label', 'kind', 'doc') AS data FROM tv_gauge g;
            CREATE TABLE tv_gaugedoc (id uuid PRIMARY KEY, data jsonb NOT NULL);
            INSERT INTO tb_gauge (reading, label) SELECT g % 10, 'g' || g FROM generate_series(1, 12000) g;
            """;

    @Test
    void quarantinedTview_owesAFullRefreshAcrossARestart_andPaysItInChunks() throws Exception {
        DatabaseConfig db = TestDatabase.get().createDatabase("quarantine");
        try (Connection c = session(db)) {
            exec(c, SCHEMA);
            // what makes the chunks necessary: the whole view in one statement does not fit the timeout
            exec(c, "SET statement_timeout = '1s'");
            assertThatThrownBy(() -> text(c, "SELECT sum(length(data::text))::text FROM v_gauge"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("statement timeout");
            exec(c, "RESET statement_timeout");
        }
        TviewdConfig config = Configs.forDatabase(db, "TVIEWD_CDC_SLOT_NAME", "quarantine",
                "TVIEWD_REFRESH_STATEMENT_TIMEOUT", "1s", "TVIEWD_REFRESH_QUARANTINE_RETRY", "300ms");

        try (Daemon first = Daemons.started(config); Connection c = session(db)) {
            // the first start's reconcile (new slot) ran in chunks and settled
            assertThat(first.pipeline().status().get("tv_gauge").quarantined()).isFalse();
            assertThat(text(c, "SELECT count(*)::text FROM tviewd.owed_refresh")).isEqualTo("0");
            assertThat(text(c, "SELECT count(*)::text FROM tv_gauge")).isEqualTo("12000");

            exec(c, "UPDATE tb_gauge SET reading = 13 WHERE pk_gauge = 7");
            await().atMost(Duration.ofSeconds(30)).until(() -> first.pipeline().status().get("tv_gauge").quarantined());
            assertThat(text(c, "SELECT reason FROM tviewd.owed_refresh WHERE tview = 'public.tv_gauge'"))
                    .startsWith("quarantined: refresh of public.tv_gauge from public.v_gauge failed").contains("division by zero");
            assertThat(text(c, "SELECT reason FROM tviewd.owed_refresh WHERE tview = 'public.tv_gaugedoc'"))
                    .isEqualTo("reads public.tv_gauge, which is owed a full refresh");
            // on-call sees it: readiness is DEGRADED naming both, and the gauges say 1
            JsonObject ready = new JsonObject(Http.get(first.httpPort(), "/health/ready").body());
            assertThat(ready.getString("status")).isEqualTo("DEGRADED");
            JsonObject tviews = ready.getJsonArray("checks").stream().map(JsonObject.class::cast)
                    .filter(o -> "tviews".equals(o.getString("id"))).findFirst().orElseThrow();
            assertThat(tviews.getString("reason")).startsWith("1 tviews quarantined, 1 more owed a full refresh (their rows may be stale until it runs), 0 refused");
            assertThat(tviews.getJsonArray("owed").getJsonObject(0).getString("tview")).isEqualTo("tv_gaugedoc");
            String metrics = Http.get(first.httpPort(), "/metrics").body();
            assertThat(metrics).contains("tviewd_tview_quarantined{tview=\"tv_gauge\"} 1.0")
                    .contains("tviewd_tview_owed{tview=\"tv_gaugedoc\"} 1.0");

            // changes while quarantined: their keys are dropped (the debt covers them)
            exec(c, "UPDATE tb_gauge SET label = 'changed' || pk_gauge WHERE pk_gauge <= 300");
            exec(c, "DELETE FROM tb_gauge WHERE pk_gauge BETWEEN 301 AND 310");
            exec(c, "INSERT INTO tb_gauge (reading, label) VALUES (1, 'new')");
            long lsn = Long.parseLong(text(c, "SELECT (pg_current_wal_lsn() - '0/0')::bigint::text"));
            exec(c, "UPDATE tb_gauge SET label = 'marker' WHERE pk_gauge = 8");
            await().atMost(Duration.ofSeconds(30)).until(() -> first.pipeline().lastLsn() >= lsn);
            assertThat(first.pipeline().status().get("tv_gauge").quarantined()).isTrue();
        }

        try (Connection c = session(db)) {
            // fixed while the daemon is down; the fix alone (one keyed change) would not bring back the rest
            exec(c, "UPDATE tb_gauge SET reading = 14 WHERE pk_gauge = 7");
            assertThat(text(c, "SELECT count(*)::text FROM tviewd.owed_refresh")).isEqualTo("2");
        }
        try (Daemon second = Daemons.started(config); Connection c = session(db)) {
            // start-up pays the debts stored by the first run: in chunks, the inner tview before the one reading it
            assertThat(second.pipeline().status().get("tv_gauge").quarantined()).isFalse();
            assertThat(second.pipeline().status().get("tv_gauge").owedReason()).isNull();
            assertThat(text(c, "SELECT count(*)::text FROM tviewd.owed_refresh")).isEqualTo("0");
            Tviews.awaitConverged(db, Duration.ofSeconds(60), "after a restart with owed full refreshes");
            assertThat(new JsonObject(Http.get(second.httpPort(), "/health/ready").body()).getString("status")).isEqualTo("UP");
        }
    }
}
