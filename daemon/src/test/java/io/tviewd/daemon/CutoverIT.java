package io.tviewd.daemon;

import static io.tviewd.daemon.support.Sql.exec;
import static io.tviewd.daemon.support.Sql.session;
import static io.tviewd.daemon.support.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.tviewd.config.ConfigLoader;
import io.tviewd.config.DatabaseConfig;
import io.tviewd.config.RefreshMode;
import io.tviewd.config.TviewdConfig;
import io.tviewd.daemon.cli.Main;
import io.tviewd.daemon.cutover.Cutover;
import io.tviewd.daemon.cutover.CutoverRun;
import io.tviewd.daemon.demo.SqlWorkload;
import io.tviewd.daemon.support.BlogDatabase;
import io.tviewd.daemon.support.Cli;
import io.tviewd.daemon.support.Configs;
import io.tviewd.daemon.support.Daemons;
import io.tviewd.daemon.support.Tviews;

/** Cutover between every ordered pair of modes while writers keep changing the base tables. */
class CutoverIT {

    static Stream<Arguments> pairs() {
        List<Arguments> out = new ArrayList<>();
        for (RefreshMode from : RefreshMode.values()) {
            for (RefreshMode to : RefreshMode.values()) {
                if (from != to) {
                    out.add(Arguments.of(from, to));
                }
            }
        }
        return out.stream();
    }

    private static TviewdConfig config(DatabaseConfig db, String slot, RefreshMode mode) {
        return ConfigLoader.loadYaml("""
                tviews:
                  - table: tv_post
                    mode: %s
                    schedule: 300ms
                """.formatted(mode.configName()), Configs.env(db, "TVIEWD_CDC_SLOT_NAME", slot));
    }

    /**
     * Writers that run until stopped: {@code n} random blog writers, plus one that keeps the change log —
     * it sets {@code tb_post.body} (which no other writer touches) to a unique value and records each
     * committed (pk_post, body) in commit order.
     */
    private static final class Writers implements AutoCloseable {
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong committed = new AtomicLong();
        final List<Thread> threads = new ArrayList<>();
        final List<Throwable> failures = new ArrayList<>();
        final java.util.Map<Long, String> lastBody = new java.util.concurrent.ConcurrentHashMap<>();

        Writers(DatabaseConfig db, long seed, int n) {
            spawn(db, c -> {
                var ps = c.prepareStatement("UPDATE tb_post SET body = ? WHERE pk_post = (SELECT pk_post FROM tb_post "
                        + "ORDER BY random() LIMIT 1) RETURNING pk_post");
                AtomicLong i = new AtomicLong();
                return () -> {
                    String body = "log-" + seed + "-" + i.getAndIncrement();
                    ps.setString(1, body);
                    try (var rs = ps.executeQuery()) {
                        if (rs.next()) {
                            lastBody.put(rs.getLong(1), body);
                        }
                    }
                };
            });
            for (int w = 0; w < n; w++) {
                long s = seed * 31 + w;
                spawn(db, c -> {
                    SqlWorkload workload = SqlWorkload.blog(c, s);
                    return () -> {
                        workload.step();
                        committed.incrementAndGet();
                    };
                });
            }
        }

        /** One operation of a writer: one committed transaction. */
        @FunctionalInterface
        interface Op {
            void run() throws SQLException;
        }

        /** Prepares a writer's operation on its own connection. */
        @FunctionalInterface
        interface OpFactory {
            Op open(Connection c) throws SQLException;
        }

        /** Runs the operation in a loop on its own thread and connection until stopped; conflicts between writers are expected. */
        private void spawn(DatabaseConfig db, OpFactory factory) {
            Thread t = new Thread(() -> {
                try (Connection c = session(db)) {
                    Op op = factory.open(c);
                    while (!stop.get()) {
                        try {
                            op.run();
                        } catch (SQLException e) {
                            if (!SqlWorkload.isExpectedConflict(e)) {
                                throw e;
                            }
                        }
                    }
                } catch (Throwable e) {
                    synchronized (failures) {
                        failures.add(e);
                    }
                }
            });
            threads.add(t);
            t.start();
        }

        void awaitMore(long n) {
            long target = committed.get() + n;
            await().atMost(Duration.ofSeconds(60)).until(() -> committed.get() >= target || !failures.isEmpty());
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            for (Thread t : threads) {
                t.join();
            }
            assertThat(failures).as("writer failures").isEmpty();
        }
    }

    @ParameterizedTest(name = "{0} → {1}")
    @MethodSource("pairs")
    void cutover_underConcurrentWrites_missesNoCommittedChange(RefreshMode from, RefreshMode to) throws Exception {
        String slot = "co_" + from.configName() + "_" + to.configName();
        DatabaseConfig db = BlogDatabase.create(slot, 20, 80, 80);
        TviewdConfig config = config(db, slot, from);
        try (Daemon daemon = Daemons.started(config)) {
            List<String> log = new ArrayList<>();
            long during;
            Writers writers = new Writers(db, from.ordinal() * 10L + to.ordinal(), 2);
            try (writers) {
                writers.awaitMore(50);
                long before = writers.committed.get();
                try {
                    CutoverRun.execute(config, "tv_post", to, false, false, false, Duration.ofSeconds(60), log::add);
                } catch (IllegalStateException e) {
                    throw new AssertionError(from + " → " + to + ": " + e.getMessage() + "; log " + log, e);
                }
                during = writers.committed.get() - before;
                writers.awaitMore(50);
            }
            assertThat(during).as("writes committed while the cutover ran").isPositive();
            assertThat(daemon.pipeline().status().get("tv_post").mode()).isEqualTo(to.configName());
            assertThat(daemon.metrics().scrape()).contains("tviewd_tview_mode{mode=\"" + to.configName() + "\",tview=\"tv_post\"} 1.0")
                    .doesNotContain("tviewd_tview_mode{mode=\"" + from.configName() + "\",tview=\"tv_post\"}");
            try (Connection c = session(db)) {
                assertThat(text(c, "SELECT status FROM tviewd.cutover ORDER BY id DESC LIMIT 1")).isEqualTo("done");
                assertThat(text(c, "SELECT count(*)::text FROM tviewd.cutover_step WHERE status <> 'done'")).isEqualTo("0");
                int tables = daemon.pipeline().status().get("tv_post").plan().mappings().size();
                assertThat(text(c, "SELECT count(*)::text FROM pg_trigger WHERE tgname LIKE 'tviewd\\_%\\_tv\\_post'"))
                        .isEqualTo(to == RefreshMode.TRIGGER ? Integer.toString(4 * tables) : "0");
            }
            if (to == RefreshMode.MANUAL) {
                // manual mode applies nothing by itself: nothing missed means one manual refresh makes it exact
                assertThat(Cli.run("refresh", "tv_post", "--config", configFile(db, slot).toString()).code()).isZero();
            }
            Tviews.awaitConverged(db, Duration.ofSeconds(60), from + " → " + to + " with writes during the cutover; log " + log);
            // the change log: every logged change to a post that still exists is in its document
            assertThat(writers.lastBody).isNotEmpty();
            try (Connection c = session(db)) {
                for (var e : writers.lastBody.entrySet()) {
                    String inTview = text(c, "SELECT t.data->>'body' FROM tv_post t JOIN tb_post p USING (id) WHERE p.pk_post = " + e.getKey());
                    String inTable = text(c, "SELECT body FROM tb_post WHERE pk_post = " + e.getKey());
                    if (inTable != null) {
                        assertThat(inTview).as("post %d after %s → %s", e.getKey(), from, to).isEqualTo(e.getValue());
                    }
                }
            }
        }
    }

    /**
     * The cutover's verify tells drift from lag: a tview row corrupted behind tviewd's back (nothing will ever
     * refresh it) fails the cutover to cdc, while a post rewritten without pause during the verify is settled
     * as a change in flight and not reported.
     */
    @Test
    void cutoverToCdc_failsOnDrift_butNotOnAKeyThatKeepsChanging() throws Exception {
        DatabaseConfig db = BlogDatabase.create("co_drift", 10, 30, 30);
        TviewdConfig config = config(db, "co_drift", RefreshMode.TRIGGER);
        try (Daemon daemon = Daemons.started(config); Connection c = session(db)) {
            daemon.pipeline();
            exec(c, "UPDATE tv_post SET data = data || '{\"title\": \"corrupted\"}' WHERE pk_post = 1");
            String corrupted = text(c, "SELECT id::text FROM tv_post WHERE pk_post = 1");
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong hotWrites = new AtomicLong();
            List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
            Thread hot = new Thread(() -> {
                try (Connection w = session(db)) {
                    while (!stop.get()) {
                        try {
                            exec(w, "UPDATE tb_post SET title = md5(random()::text) WHERE pk_post = 2");
                            hotWrites.incrementAndGet();
                        } catch (SQLException e) {
                            if (!SqlWorkload.isExpectedConflict(e)) { // a deadlock with the removal of the triggers is expected
                                throw e;
                            }
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            hot.start();
            List<String> log = new ArrayList<>();
            try {
                await().atMost(Duration.ofSeconds(30)).until(() -> hotWrites.get() > 100 || !failures.isEmpty());
                assertThatThrownBy(() -> CutoverRun.execute(config, "tv_post", RefreshMode.CDC, false, false, false, Duration.ofSeconds(60), log::add))
                        .as("%s", log)
                        .hasMessageContaining("failed at step 4 (verify): verify found drift after the switch: 1 keys, e.g. [" + corrupted + "]");
            } finally {
                stop.set(true);
                hot.join();
            }
            assertThat(failures).isEmpty();
            assertThat(text(c, "SELECT status FROM tviewd.cutover ORDER BY id DESC LIMIT 1")).isEqualTo("failed");
            // the cause fixed (a repair), the resumed cutover finishes
            assertThat(Cli.run("verify", "tv_post", "--repair", "--config", configFile(db, "co_drift").toString()).code()).isZero();
            CutoverRun.execute(config, "tv_post", null, false, true, false, Duration.ofSeconds(60), log::add);
            Tviews.awaitConverged(db, Duration.ofSeconds(30), "after the resumed cutover");
        }
    }

    @Test
    void dryRun_printsEveryStepForwardAndRollback_andChangesNothing() throws Exception {
        DatabaseConfig db = BlogDatabase.create("co_dry", 5, 10, 10);
        TviewdConfig config = ConfigLoader.loadYaml("", Configs.env(db, "TVIEWD_CDC_SLOT_NAME", "co_dry", "TVIEWD_HTTP_TOKEN", "tok"));
        try (Daemon daemon = Daemons.started(config)) {
            Cli.Result r = Cli.run("cutover", "tv_post", "--to", "trigger", "--dry-run", "--config", configFile(db, "co_dry").toString());
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out())
                    .contains("Cutover of tv_post: cdc → trigger (dry run: nothing changed)")
                    .contains("1. install-triggers: DROP FUNCTION IF EXISTS tviewd.\"refresh_0680fa35_public_tv_post\"(text[]);")
                    .contains("CREATE OR REPLACE FUNCTION tviewd.\"refresh_0680fa35_public_tv_post\"(keys text[], ctx text)")
                    .contains("pg_logical_emit_message(true, 'tviewd'")
                    .contains("CREATE TRIGGER \"tviewd_002_0680fa35_ins_tv_post\" AFTER INSERT ON \"public\".\"tb_comment\"")
                    .contains("2. drain-cdc: L = pg_current_wal_lsn()")
                    .contains("3. switch-mode: UPDATE tviewd.tview_mode SET mode = 'trigger' WHERE tview = 'public.tv_post'")
                    .contains("4. verify: tviewd verify tv_post")
                    .contains("Rollback (reverse order of the steps done):")
                    .contains("3. switch-mode: UPDATE tviewd.tview_mode SET mode = 'cdc'")
                    .contains("1. install-triggers: drop the triggers and functions of tv_post");
            try (Connection c = session(db)) {
                assertThat(text(c, "SELECT count(*)::text FROM pg_trigger WHERE tgname LIKE 'tviewd%'")).isEqualTo("0");
                assertThat(text(c, "SELECT count(*)::text FROM tviewd.cutover")).isEqualTo("0");
                assertThat(text(c, "SELECT mode FROM tviewd.tview_mode WHERE tview = 'public.tv_post'")).isEqualTo("cdc");
            }
            // the same through the API, behind the bearer token
            String path = "/api/v1/tviews/tv_post/cutover?to=trigger&dryRun=true";
            assertThat(VerifyPopulateIT.post(daemon.httpPort(), path, null).statusCode()).isEqualTo(401);
            var api = VerifyPopulateIT.post(daemon.httpPort(), path, "tok");
            assertThat(api.statusCode()).as(api.body()).isEqualTo(200);
            assertThat(api.body()).contains("(dry run: nothing changed)").contains("install-triggers");
            assertThat(VerifyPopulateIT.post(daemon.httpPort(), "/api/v1/tviews/tv_post/cutover?to=later", "tok").statusCode()).isEqualTo(400);

            Cli.Result bad = Cli.run("cutover", "tv_post", "--to", "sometimes", "--config", configFile(db, "co_dry").toString());
            assertThat(bad.code()).isEqualTo(Main.EXIT_CONFIG);
            assertThat(bad.err()).contains("Invalid value 'sometimes' for '--to': must be one of trigger, scheduled, cdc, manual");
        }
    }

    @Test
    void interruptedCutover_canBeResumed_orRolledBack(@TempDir Path dir) throws Exception {
        for (boolean resume : new boolean[] {true, false}) {
            String slot = resume ? "co_resume" : "co_rollback";
            DatabaseConfig db = BlogDatabase.create(slot, 10, 30, 30);
            TviewdConfig config = config(db, slot, RefreshMode.CDC);
            Path cfg = configFile(db, slot);
            try (Daemon first = Daemons.started(config)) {
                first.pipeline(); // creates the slot and the mode rows
            }
            // the daemon is down: the cutover installs the triggers, then cannot drain CDC and stops there
            Cli.Result failed = Cli.run("cutover", "tv_post", "--to", "trigger", "--wait", "1s", "--config", cfg.toString());
            assertThat(failed.code()).isEqualTo(Main.EXIT_FAILURE);
            assertThat(failed.err()).contains("failed at step 2 (drain-cdc)").contains("tviewd cutover tv_post --resume")
                    .contains("tviewd cutover tv_post --rollback");
            try (Connection c = session(db)) {
                assertThat(text(c, "SELECT status FROM tviewd.cutover")).isEqualTo("failed");
                assertThat(text(c, "SELECT string_agg(name || '=' || status, ',' ORDER BY step) FROM tviewd.cutover_step"))
                        .isEqualTo("install-triggers=done,drain-cdc=failed,switch-mode=pending,remove-triggers=pending,verify=pending"
                                .replace(",remove-triggers=pending", ""));
                exec(c, "UPDATE tb_post SET title = 'while interrupted' WHERE pk_post = 1");
            }
            Cli.Result again = Cli.run("cutover", "tv_post", "--to", "manual", "--config", cfg.toString());
            assertThat(again.err()).contains("is unfinished: run `tviewd cutover tv_post --resume` or `--rollback` first");
            try (Daemon daemon = Daemons.started(config); Connection c = session(db)) {
                Cli.Result r = Cli.run("cutover", "tv_post", resume ? "--resume" : "--rollback", "--config", cfg.toString());
                assertThat(r.code()).as(r.out() + r.err()).isZero();
                assertThat(text(c, "SELECT status FROM tviewd.cutover")).isEqualTo(resume ? "done" : "rolled_back");
                await().atMost(Duration.ofSeconds(30)).until(() ->
                        daemon.pipeline().status().get("tv_post").mode().equals(resume ? "trigger" : "cdc"));
                assertThat(text(c, "SELECT count(*)::text FROM pg_trigger WHERE tgname LIKE 'tviewd%'")).isEqualTo(resume ? "12" : "0");
                exec(c, "UPDATE tb_post SET title = 'after' WHERE pk_post = 2");
                Tviews.awaitConverged(db, Duration.ofSeconds(30), resume ? "after resume" : "after rollback");
            }
        }
    }

    private static Path configFile(DatabaseConfig db, String slot) throws Exception {
        Path f = Files.createTempFile("tviewd-cutover", ".yaml");
        Files.writeString(f, "database:\n  url: " + db.url() + "\n  user: " + db.user() + "\n  password: \"" + db.password().reveal()
                + "\"\ncdc:\n  slot-name: " + slot + "\n");
        f.toFile().deleteOnExit();
        return f;
    }
}
