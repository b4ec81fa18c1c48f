package io.tviewd.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.tviewd.config.DatabaseConfig;
import io.tviewd.daemon.support.BlogDatabase;
import io.tviewd.daemon.support.Configs;
import io.tviewd.daemon.support.Daemons;
import io.tviewd.daemon.support.Http;
import io.tviewd.daemon.support.Sql;
import io.tviewd.daemon.support.TestClickHouse;
import io.tviewd.daemon.support.Tviews;
import io.tviewd.daemon.support.Workloads;

/**
 * The ClickHouse sink against a real ClickHouse server (Debian's 18.16): after a random workload, ClickHouse
 * {@code FINAL … WHERE _deleted = 0} equals every forwarded tview — also across ClickHouse being killed mid-stream;
 * a table lacking a column stops the sink loudly while refresh goes on; the type mapping holds exact values.
 */
class ClickHouseSinkIT {

    private static final ObjectMapper JSON = JsonMapper.builder().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).build();
    private static TestClickHouse clickhouse;

    @BeforeAll
    static void startClickHouse() throws Exception {
        clickhouse = TestClickHouse.start(java.nio.file.Path.of("target"));
    }

    @AfterAll
    static void stopClickHouse() throws Exception {
        if (clickhouse != null) {
            clickhouse.close();
        }
    }

    /** The type timestamps get on this server. */
    private static String dateTime() throws Exception {
        return clickhouse.hasDateTime64() ? "DateTime64(6, 'UTC')" : "DateTime('UTC')";
    }

    private static String[] settings(String database, String slot, String... more) {
        List<String> s = new ArrayList<>(List.of("TVIEWD_CLICKHOUSE_URL", clickhouse.url(), "TVIEWD_CLICKHOUSE_USER", TestClickHouse.USER,
                "TVIEWD_CLICKHOUSE_PASSWORD", TestClickHouse.PASSWORD, "TVIEWD_CLICKHOUSE_DATABASE", database,
                "TVIEWD_CLICKHOUSE_FLUSH_INTERVAL", "50ms", "TVIEWD_CLICKHOUSE_RETRY_BACKOFF", "100ms", "TVIEWD_CLICKHOUSE_TIMEOUT", "5s",
                "TVIEWD_CDC_SLOT_NAME", slot));
        s.addAll(List.of(more));
        return s.toArray(String[]::new);
    }

    @Test
    void randomWorkload_clickHouseFinalEqualsTheTviews_alsoAfterClickHouseWasKilledMidStream() throws Exception {
        DatabaseConfig db = BlogDatabase.create("ch_diff", 20, 60, 120);
        long seed = Workloads.seed();
        try (Daemon daemon = Daemons.started(Configs.forDatabase(db, settings("chdiff", "chdiff", "TVIEWD_CLICKHOUSE_TVIEWS", "tv_post")))) {
            Workloads.run(db, seed, 3, Workloads.opsPerWriter(120));
            Tviews.awaitConverged(db, Duration.ofSeconds(60), "seed " + seed);
            awaitClickHouseEqual(db, "chdiff", "seed " + seed);
            // ta_post by default, tv_post because it opted in; tv_user is not forwarded
            assertThat(clickhouse.query("SELECT name FROM system.tables WHERE database = 'chdiff' ORDER BY name").split("\n"))
                    .containsExactly("ta_post", "tv_post");

            clickhouse.kill();
            try {
                Workloads.run(db, seed + 1, 2, Workloads.opsPerWriter(100));
                // refresh does not wait for ClickHouse
                Tviews.awaitConverged(db, Duration.ofSeconds(60), "ClickHouse down, seed " + seed);
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    String ready = Http.get(daemon.httpPort(), "/health/ready").body();
                    assertThat(ready).contains("\"status\":\"DEGRADED\"").contains("\"id\":\"sink-clickhouse\",\"status\":\"DEGRADED\"")
                            .contains("cannot connect to ClickHouse");
                });
            } finally {
                clickhouse.restart();
            }
            awaitClickHouseEqual(db, "chdiff", "after the ClickHouse outage, seed " + seed);
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() ->
                    assertThat(Http.get(daemon.httpPort(), "/health/ready").body()).contains("\"id\":\"sink-clickhouse\",\"status\":\"UP\""));
            assertThat(Http.get(daemon.httpPort(), "/metrics").body()).containsPattern("tviewd_events_delivered_total\\{sink=\"clickhouse\"} [1-9]")
                    .containsPattern("tviewd_events_delivery_errors_total\\{sink=\"clickhouse\"} [1-9]")
                    .containsPattern("tviewd_clickhouse_rows_total\\{tview=\"public.ta_post\"} [1-9]")
                    .containsPattern("tviewd_clickhouse_errors_total\\{tview=\"public.(ta|tv)_post\"} [1-9]")
                    .containsPattern("tviewd_clickhouse_inserts_total\\{tview=\"public.tv_post\"} [1-9]")
                    .containsPattern("tviewd_clickhouse_bytes_total\\{tview=\"public.ta_post\"} [1-9]")
                    .containsPattern("tviewd_clickhouse_lag_seconds\\{tview=\"public.ta_post\",quantile=\"0.99\"}");
            // versions are commit LSNs: a key's rows never share one, and a deleted post is a tombstone, not missing
            assertThat(clickhouse.query("SELECT count() FROM (SELECT pk_post, _version, count() AS n FROM chdiff.ta_post "
                    + "GROUP BY pk_post, _version HAVING n > 1 AND uniqExact(_deleted) > 1)").strip()).isEqualTo("0");
        }
    }

    /**
     * ClickHouse configured on a database whose tviews the daemon already maintains: the new slot streams only later
     * events, so the rows that existed are copied first (version 0); writes during and after the copy win over it.
     */
    @Test
    void clickHouseEnabledLater_backfillsTheExistingRows_thenStreams(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        DatabaseConfig db = BlogDatabase.create("ch_late", 30, 200, 300);
        long seed = Workloads.seed() + 5;
        try (Daemon daemon = Daemons.started(Configs.forDatabase(db, "TVIEWD_CDC_SLOT_NAME", "chlate"))) {
            Workloads.run(db, seed, 2, 60);
            Tviews.awaitConverged(db, Duration.ofSeconds(60), "before ClickHouse, seed " + seed);
        }
        try (Daemon daemon = Daemons.started(Configs.forDatabase(db, settings("chlate", "chlate", "TVIEWD_CLICKHOUSE_TVIEWS", "tv_post")))) {
            Workloads.run(db, seed + 1, 2, 60);
            Tviews.awaitConverged(db, Duration.ofSeconds(60), "with ClickHouse, seed " + seed);
            awaitClickHouseEqual(db, "chlate", "backfilled, seed " + seed);
            assertThat(Long.parseLong(clickhouse.query("SELECT count() FROM chlate.ta_post WHERE _version = 0").strip())).isPositive();
        }
        try (Connection c = Sql.session(db)) {
            assertThat(Sql.text(c, "SELECT count(*) FROM tviewd.clickhouse_backfill")).as("the debt is paid").isEqualTo("0");
        }
        // document rows copied as text (not through a parsed tree) are exactly what the stream writes: verify compares
        // the stored text, so it finds no drift after the copy, nor after a backfill command
        java.nio.file.Path cfg = dir.resolve("tviewd.yaml");
        java.nio.file.Files.writeString(cfg, "database:\n  url: " + db.url() + "\n  user: " + db.user() + "\n  password: \"" + db.password().reveal()
                + "\"\ncdc:\n  slot-name: chlate\nclickhouse:\n  url: " + clickhouse.url() + "\n  user: " + TestClickHouse.USER
                + "\n  password: " + TestClickHouse.PASSWORD + "\n  database: chlate\n  tviews: [tv_post]\n");
        io.tviewd.daemon.support.Cli.Result copied = io.tviewd.daemon.support.Cli.run("clickhouse", "verify", "tv_post", "--config", cfg.toString());
        assertThat(copied.code()).as(copied.out() + copied.err()).isZero();
        assertThat(copied.out()).contains("No drift: ClickHouse equals tv_post.");
        io.tviewd.daemon.support.Cli.Result backfill = io.tviewd.daemon.support.Cli.run("clickhouse", "backfill", "tv_post", "--config", cfg.toString());
        assertThat(backfill.code()).as(backfill.out() + backfill.err()).isZero();
        io.tviewd.daemon.support.Cli.Result again = io.tviewd.daemon.support.Cli.run("clickhouse", "verify", "tv_post", "--config", cfg.toString());
        assertThat(again.code()).as(again.out() + again.err()).isZero();
        assertThat(again.out()).contains("No drift: ClickHouse equals tv_post.");
        awaitClickHouseEqual(db, "chlate", "after a backfill of tv_post, seed " + seed);
    }

    /**
     * {@code tviewd clickhouse verify} finds drift injected into ClickHouse (rows gone, a row with other values, a key
     * the tview does not have), {@code --repair} mends exactly it, and {@code backfill} copies a whole tview again with
     * versions that lose to every later refresh.
     */
    @Test
    void verifyFindsInjectedDrift_repairMendsIt_backfillCopiesAgain(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        DatabaseConfig db = BlogDatabase.create("ch_verify", 20, 80, 100);
        java.nio.file.Path cfg = dir.resolve("tviewd.yaml");
        java.nio.file.Files.writeString(cfg, "database:\n  url: " + db.url() + "\n  user: " + db.user() + "\n  password: \"" + db.password().reveal()
                + "\"\ncdc:\n  slot-name: chverify\nclickhouse:\n  url: " + clickhouse.url() + "\n  user: " + TestClickHouse.USER
                + "\n  password: " + TestClickHouse.PASSWORD + "\n  database: chverify\n");
        try (Daemon daemon = Daemons.started(Configs.forDatabase(db, settings("chverify", "chverify")))) {
            Workloads.run(db, Workloads.seed() + 9, 2, 40);
            Tviews.awaitConverged(db, Duration.ofSeconds(60), "before the drift");
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() ->
                    assertThat(clickhouseTaPost("chverify")).isEqualTo(postgres(db, TA_POST)));
        }
        io.tviewd.daemon.support.Cli.Result clean = io.tviewd.daemon.support.Cli.run("clickhouse", "verify", "ta_post", "--config", cfg.toString());
        assertThat(clean.code()).as(clean.out() + clean.err()).isZero();
        assertThat(clean.out()).contains("No drift: ClickHouse equals ta_post.");

        List<String> keys = postgres(db, "SELECT pk_post::text FROM ta_post").keySet().stream().limit(3).toList();
        clickhouse.query("ALTER TABLE chverify.ta_post DELETE WHERE pk_post IN (" + keys.get(0) + ", " + keys.get(1) + ")");
        clickhouse.query("ALTER TABLE chverify.ta_post UPDATE title = 'tampered' WHERE pk_post = " + keys.get(2));
        clickhouse.query("INSERT INTO chverify.ta_post (pk_post, id, fk_author, author_name, title, published, comment_count, created_at, "
                + "source_updated_at, _version, _deleted) VALUES (987654, 'ghost', 1, 'x', 'ghost', 0, 0, 0, 0, 5, 0)");
        await().atMost(Duration.ofSeconds(30)).until(() -> clickhouse.query("SELECT count() FROM system.mutations WHERE database = 'chverify' "
                + "AND NOT is_done").strip().equals("0"));

        io.tviewd.daemon.support.Cli.Result found = io.tviewd.daemon.support.Cli.run("clickhouse", "verify", "ta_post", "--config", cfg.toString());
        assertThat(found.code()).as(found.out() + found.err()).isEqualTo(3);
        assertThat(found.out()).contains("missing in ClickHouse 2, extra 1, differing 1").contains(keys.get(2) + " (differs)")
                .contains("987654 (extra)").contains("[##############################] 100%");
        io.tviewd.daemon.support.Cli.Result repaired = io.tviewd.daemon.support.Cli.run("clickhouse", "verify", "ta_post", "--repair", "--config",
                cfg.toString());
        assertThat(repaired.code()).as(repaired.out() + repaired.err()).isZero();
        assertThat(repaired.out()).contains("Repaired 4 keys.");
        assertThat(clickhouseTaPost("chverify")).isEqualTo(postgres(db, TA_POST));

        // an interrupted backfill resumes after the last key it stored
        List<String> all = new ArrayList<>(postgres(db, "SELECT pk_post::text FROM ta_post").keySet());
        all.sort(java.util.Comparator.comparingLong(Long::parseLong));
        try (Connection c = Sql.session(db)) {
            Sql.exec(c, "INSERT INTO tviewd.clickhouse_backfill (tview, kind, after_key) VALUES ('public.ta_post', 'command', '"
                    + all.get(all.size() - 11) + "')");
        }
        io.tviewd.daemon.support.Cli.Result resumed = io.tviewd.daemon.support.Cli.run("clickhouse", "backfill", "ta_post", "--config", cfg.toString());
        assertThat(resumed.code()).as(resumed.out() + resumed.err()).isZero();
        assertThat(resumed.out()).contains("Backfilled 10 rows of ta_post").contains("100% 10/10");

        // a backfill writes every row again with a version above all it replaces
        long before = Long.parseLong(clickhouse.query("SELECT max(_version) FROM chverify.ta_post").strip());
        io.tviewd.daemon.support.Cli.Result backfill = io.tviewd.daemon.support.Cli.run("clickhouse", "backfill", "ta_post", "--config", cfg.toString());
        assertThat(backfill.code()).as(backfill.out() + backfill.err()).isZero();
        assertThat(backfill.out()).contains("Backfilled " + postgres(db, TA_POST).size() + " rows of ta_post");
        assertThat(clickhouse.rows("SELECT pk_post, _version FROM chverify.ta_post FINAL WHERE _deleted = 0 AND _version < " + before))
                .as("live rows the backfill did not replace (max version before it: %d)", before).isEmpty();
        assertThat(clickhouseTaPost("chverify")).isEqualTo(postgres(db, TA_POST));
        // and a later refresh still wins over it
        try (Daemon daemon = Daemons.started(Configs.forDatabase(db, settings("chverify", "chverify")));
             Connection c = Sql.session(db)) {
            Sql.exec(c, "UPDATE tb_post SET title = 'after the backfill' WHERE pk_post = " + keys.get(2));
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> assertThat(clickhouse.query(
                    "SELECT title FROM chverify.ta_post FINAL WHERE pk_post = " + keys.get(2)).strip()).isEqualTo("after the backfill"));
        }
    }

    /** kill -9 of the daemon while it forwards: the restarted daemon replays from the stored position, FINAL shows each row once. */
    @Test
    void sigkillOfTheDaemonMidStream_clickHouseStillEqualsTheTviews() throws Exception {
        DatabaseConfig db = BlogDatabase.create("ch_kill", 20, 60, 120);
        long seed = Workloads.seed() + 3;
        String[] s = settings("chkill", "chkill", "TVIEWD_CLICKHOUSE_TVIEWS", "tv_post", "TVIEWD_CDC_OFFSET_FLUSH_INTERVAL", "10ms");
        try (io.tviewd.daemon.support.DaemonProcess first = io.tviewd.daemon.support.DaemonProcess.start(db, "ch-kill-1", s)) {
            java.util.concurrent.CompletableFuture<Long> writes = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return Workloads.run(db, seed, 3, Workloads.opsPerWriter(150));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            // kill it once ClickHouse has some rows, while the writers are still going
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() ->
                    Long.parseLong(clickhouse.query("SELECT count() FROM chkill.ta_post").strip()) > 20);
            first.kill();
            assertThat(writes.get()).isPositive();
        }
        try (io.tviewd.daemon.support.DaemonProcess second = io.tviewd.daemon.support.DaemonProcess.start(db, "ch-kill-2", s)) {
            Tviews.awaitConverged(db, Duration.ofSeconds(60), "seed " + seed + ", after SIGKILL and restart");
            awaitClickHouseEqual(db, "chkill", "seed " + seed + ", after SIGKILL and restart");
        }
    }

    @Test
    void aTableLackingAColumn_stopsTheSinkNamingTheStatement_refreshGoesOn_autoAddFixesIt() throws Exception {
        DatabaseConfig db = BlogDatabase.create("ch_cols", 5, 10, 10);
        clickhouse.query("CREATE DATABASE IF NOT EXISTS chcols");
        clickhouse.query("CREATE TABLE chcols.ta_post (pk_post Int64, id String, fk_author Int64, author_name String, published UInt8, "
                + "comment_count Int32, created_at " + dateTime() + ", source_updated_at " + dateTime() + ", _version UInt64, _deleted UInt8) "
                + "ENGINE = ReplacingMergeTree(_version) ORDER BY (pk_post)");
        try (Daemon daemon = Daemons.started(Configs.forDatabase(db, settings("chcols", "chcols")));
             Connection c = Sql.session(db)) {
            Sql.exec(c, "UPDATE tb_post SET title = 'changed' WHERE pk_post = 1");
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                String ready = Http.get(daemon.httpPort(), "/health/ready").body();
                assertThat(ready).contains("\"id\":\"sink-clickhouse\",\"status\":\"STOPPED\"")
                        .contains("lacks column title of tview public.ta_post: run ALTER TABLE `chcols`.`ta_post` ADD COLUMN `title` String");
            });
            Tviews.awaitConverged(db, Duration.ofSeconds(30), "the sink stopped, refresh goes on");
            assertThat(clickhouse.query("SELECT count() FROM chcols.ta_post").strip()).isEqualTo("0");
        }
        try (Daemon daemon = Daemons.started(Configs.forDatabase(db, settings("chcols", "chcols", "TVIEWD_CLICKHOUSE_AUTO_ADD_COLUMNS", "true")))) {
            // the events that waited in the WAL arrive once the column exists
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() ->
                    assertThat(clickhouse.query("SELECT title FROM chcols.ta_post FINAL WHERE pk_post = 1 AND _deleted = 0").strip())
                            .isEqualTo("changed"));
        }
    }

    @Test
    void aTableOrderedByAnotherColumn_stopsTheSink_nothingIsWritten_aRightOneIsUsed() throws Exception {
        DatabaseConfig db = BlogDatabase.create("ch_engine", 5, 10, 10);
        clickhouse.query("CREATE DATABASE IF NOT EXISTS chengine");
        String columns = "(pk_post Int64, id String, fk_author Int64, title String, author_name String, published UInt8, comment_count Int32, "
                + "created_at " + dateTime() + ", source_updated_at " + dateTime() + ", _version UInt64, _deleted UInt8)";
        // ordered by the author: ReplacingMergeTree would keep one row per author, not per post
        clickhouse.query("CREATE TABLE chengine.ta_post " + columns + " ENGINE = ReplacingMergeTree(_version) ORDER BY (fk_author)");
        try (Daemon daemon = Daemons.started(Configs.forDatabase(db, settings("chengine", "chengine")));
             Connection c = Sql.session(db)) {
            Sql.exec(c, "UPDATE tb_post SET title = 'changed' WHERE pk_post = 1");
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                String ready = Http.get(daemon.httpPort(), "/health/ready").body();
                assertThat(ready).contains("\"id\":\"sink-clickhouse\",\"status\":\"STOPPED\"")
                        .contains("ClickHouse table chengine.ta_post is ENGINE = ReplacingMergeTree(_version) ORDER BY fk_author")
                        .contains("needs ReplacingMergeTree(_version) ORDER BY pk_post");
            });
            Tviews.awaitConverged(db, Duration.ofSeconds(30), "the sink stopped, refresh goes on");
            assertThat(clickhouse.query("SELECT count() FROM chengine.ta_post").strip()).isEqualTo("0");
        }
        // the same columns with the right engine and key, and a granularity of the operator's choosing: used as it is
        clickhouse.query("DROP TABLE chengine.ta_post");
        clickhouse.query("CREATE TABLE chengine.ta_post " + columns + " ENGINE = ReplacingMergeTree(_version) ORDER BY (pk_post) "
                + "SETTINGS index_granularity = 256");
        try (Daemon daemon = Daemons.started(Configs.forDatabase(db, settings("chengine", "chengine")))) {
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() ->
                    assertThat(clickhouse.query("SELECT title FROM chengine.ta_post FINAL WHERE pk_post = 1 AND _deleted = 0").strip())
                            .isEqualTo("changed"));
        }
    }

    @Test
    void typeMapping_keepsExactValues() throws Exception {
        DatabaseConfig db = BlogDatabase.create("ch_types", 2, 2, 2);
        try (Connection c = Sql.session(db)) {
            Sql.exec(c, """
                    CREATE TABLE tb_sale (pk_sale bigint PRIMARY KEY, amount numeric(14,2) NOT NULL, wide numeric, day date, at timestamptz,
                        ok boolean NOT NULL, meta jsonb, note text, ratio float8, qty smallint NOT NULL, code uuid NOT NULL);
                    CREATE VIEW va_sale AS SELECT pk_sale, amount, wide, day, at, ok, meta, note, ratio, qty, code FROM tb_sale;
                    CREATE TABLE ta_sale (pk_sale bigint PRIMARY KEY, amount numeric(14,2) NOT NULL, wide numeric, day date, at timestamptz,
                        ok boolean NOT NULL, meta jsonb, note text, ratio float8, qty smallint NOT NULL, code uuid NOT NULL);
                    """);
        }
        try (Daemon daemon = Daemons.started(Configs.forDatabase(db, settings("chtypes", "chtypes")));
             Connection c = Sql.session(db)) {
            Sql.exec(c, """
                    INSERT INTO tb_sale VALUES
                      (1, 123456789012.34, 12345678901234567890.123456789, '2026-12-01', '2026-12-01 10:11:12.5+02', true,
                       '{"tags": ["a", "b"], "n": 1.50}', 'tab\there', 0.25, 7, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'),
                      (2, -0.05, NULL, NULL, NULL, false, NULL, NULL, NULL, -3, 'b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12'),
                      (3, 1, 1, '2000-01-01', '2026-01-01 00:00:00+00', true, '"s"', 'x', 1, 1, 'c0eebc99-9c0b-4ef8-bb6d-6bb9bd380a13')
                    """);
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() ->
                    assertThat(clickhouse.query("SELECT count() FROM chtypes.ta_sale FINAL WHERE _deleted = 0").strip()).isEqualTo("3"));
            Sql.exec(c, "DELETE FROM tb_sale WHERE pk_sale = 3");
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() ->
                    assertThat(clickhouse.query("SELECT count() FROM chtypes.ta_sale FINAL WHERE _deleted = 0").strip()).isEqualTo("2"));
            Map<String, String> types = new TreeMap<>();
            clickhouse.rows("SELECT name, type FROM system.columns WHERE database = 'chtypes' AND table = 'ta_sale'")
                    .forEach(r -> types.put(r.get(0), r.get(1)));
            assertThat(types).containsEntry("pk_sale", "Int64").containsEntry("amount", "Decimal(14, 2)").containsEntry("wide", "Nullable(String)")
                    .containsEntry("day", "Nullable(Date)").containsEntry("at", "Nullable(" + dateTime() + ")").containsEntry("ok", "UInt8")
                    .containsEntry("meta", "Nullable(String)").containsEntry("note", "Nullable(String)").containsEntry("ratio", "Nullable(Float64)")
                    .containsEntry("qty", "Int16").containsEntry("code", "String").containsEntry("_version", "UInt64").containsEntry("_deleted", "UInt8");
            assertThat(clickhouse.query("SHOW CREATE TABLE chtypes.ta_sale")).contains(clickhouse.hasIsDeleted()
                    ? "ReplacingMergeTree(_version, _deleted)" : "ReplacingMergeTree(_version)").contains("ORDER BY pk_sale");
            List<List<String>> rows = clickhouse.rows("SELECT pk_sale, toString(amount), wide, toString(day), toString(at), ok, meta, note, ratio, qty, code "
                    + "FROM chtypes.ta_sale FINAL WHERE _deleted = 0 ORDER BY pk_sale");
            assertThat(rows.get(0)).containsExactly("1", "123456789012.34", "12345678901234567890.123456789", "2026-12-01",
                    clickhouse.hasDateTime64() ? "2026-12-01 08:11:12.500000" : "2026-12-01 08:11:12",
                    "1", rows.get(0).get(6), "tab\there", "0.25", "7", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
            assertThat(JSON.readTree(rows.get(0).get(6))).isEqualTo(JSON.readTree("{\"tags\": [\"a\", \"b\"], \"n\": 1.50}"));
            assertThat(rows.get(1)).containsExactly("2", "-0.05", "\\N", "\\N", "\\N", "0", "\\N", "\\N", "\\N", "-3", "b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12");
            // the deleted row is a tombstone with the delete's version, above the insert's (a version-0 copy by the sink's
            // first backfill, when it ran while the rows were inserted, is left out)
            List<List<String>> three = clickhouse.rows("SELECT _deleted, _version FROM chtypes.ta_sale WHERE pk_sale = 3 AND _version > 0 "
                    + "ORDER BY _version");
            assertThat(three).hasSize(2);
            assertThat(three.get(1).get(0)).isEqualTo("1");
            assertThat(Long.parseLong(three.get(1).get(1))).isGreaterThan(Long.parseLong(three.get(0).get(1)));
        }
    }

    /** ta_post as ClickHouseTaPost reads it back. */
    private static final String TA_POST = "SELECT pk_post::text, id::text, fk_author::text, author_name, title, (published::int)::text, "
            + "comment_count::text, floor(extract(epoch FROM created_at))::bigint::text, floor(extract(epoch FROM source_updated_at))::bigint::text "
            + "FROM ta_post";

    /** Waits until ClickHouse FINAL holds exactly the rows of ta_post and tv_post. */
    private static void awaitClickHouseEqual(DatabaseConfig db, String database, String context) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).ignoreExceptions().untilAsserted(() -> {
            assertThat(clickhouseTaPost(database)).as("ta_post, " + context).isEqualTo(postgres(db, TA_POST));
            Map<String, Object> pg = new TreeMap<>();
            for (Map.Entry<String, List<String>> e : postgres(db, "SELECT id::text, data::text FROM tv_post").entrySet()) {
                pg.put(e.getKey(), JSON.readTree(e.getValue().get(1)));
            }
            Map<String, Object> ch = new TreeMap<>();
            for (List<String> r : clickhouse.rows("SELECT id, data FROM " + database + ".tv_post FINAL WHERE _deleted = 0")) {
                ch.put(r.get(0), JSON.readTree(r.get(1)));
            }
            assertThat(ch).as("tv_post, " + context).isEqualTo(pg);
        });
    }

    private static Map<String, List<String>> clickhouseTaPost(String database) throws Exception {
        Map<String, List<String>> out = new TreeMap<>();
        for (List<String> r : clickhouse.rows("SELECT pk_post, id, fk_author, author_name, title, published, comment_count, "
                + "toUnixTimestamp(created_at), toUnixTimestamp(source_updated_at) FROM " + database + ".ta_post FINAL WHERE _deleted = 0")) {
            out.put(r.get(0), r);
        }
        return out;
    }

    private static Map<String, List<String>> postgres(DatabaseConfig db, String sql) throws Exception {
        Map<String, List<String>> out = new TreeMap<>();
        try (Connection c = Sql.session(db); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                List<String> row = new ArrayList<>();
                for (int i = 1; i <= n; i++) {
                    row.add(rs.getString(i));
                }
                out.put(row.get(0), row);
            }
        }
        return out;
    }
}
