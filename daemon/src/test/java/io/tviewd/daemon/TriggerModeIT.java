package io.tviewd.daemon;

import static io.tviewd.daemon.support.Sql.exec;
import static io.tviewd.daemon.support.Sql.session;
import static io.tviewd.daemon.support.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.tviewd.config.DatabaseConfig;
import io.tviewd.connectors.postgres.plan.TviewPlans;
import io.tviewd.connectors.postgres.triggers.TriggerInstaller;
import io.tviewd.daemon.support.Configs;
import io.tviewd.daemon.support.PropagationWorkload;
import io.tviewd.daemon.support.TestDatabase;
import io.tviewd.daemon.support.Tviews;
import io.tviewd.daemon.support.Workloads;

/** Trigger mode: generated statement triggers keep every tview exact in the writers' own transactions. */
class TriggerModeIT {

    /** The same tview name in two schemas, and a name longer than 63 bytes in accented letters, in trigger mode. */
    @Test
    void triggerMode_namesStayApartAcrossSchemas_andFitLongNonAsciiNames_andAreCleanedUp() throws Exception {
        DatabaseConfig db = TestDatabase.get().createDatabase("trigger_names");
        String longName = "tv_" + "événement_ñandú_".repeat(3);
        String longView = "v_" + longName.substring(3);
        try (Connection c = session(db)) {
            exec(c, "CREATE SCHEMA sales; CREATE SCHEMA archive;");
            for (String schema : List.of("sales", "archive")) {
                exec(c, "CREATE TABLE " + schema + ".tb_order (pk bigint PRIMARY KEY, id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(), ref text)");
                exec(c, "ALTER TABLE " + schema + ".tb_order REPLICA IDENTITY FULL");
                exec(c, "CREATE VIEW " + schema + ".v_order AS SELECT id, jsonb_build_object('ref', ref, 'schema', '" + schema + "') AS data "
                        + "FROM " + schema + ".tb_order");
                exec(c, "CREATE TABLE " + schema + ".tv_order (id uuid PRIMARY KEY, data jsonb NOT NULL)");
                exec(c, "INSERT INTO " + schema + ".tb_order (pk, ref) SELECT g, 'r' || g FROM generate_series(1, 20) g");
            }
            exec(c, "CREATE VIEW sales.\"" + longView + "\" AS SELECT id, jsonb_build_object('ref', upper(ref)) AS data FROM sales.tb_order");
            exec(c, "CREATE TABLE sales.\"" + longName + "\" (id uuid PRIMARY KEY, data jsonb NOT NULL)");
        }
        var config = Configs.forDatabase(db, "TVIEWD_CDC_SLOT_NAME", "trigger_names", "TVIEWD_REFRESH_DEFAULT_MODE", "trigger",
                "TVIEWD_DISCOVERY_SCHEMAS", "sales,archive");
        try (Daemon daemon = new Daemon(config)) {
            daemon.start();
            assertThat(daemon.refused()).isEmpty();
            assertThat(daemon.pipeline().status()).hasSize(3);
        }
        try (Connection c = session(db)) {
            exec(c, "UPDATE sales.tb_order SET ref = 'sold' WHERE pk = 1");
            exec(c, "UPDATE archive.tb_order SET ref = 'kept' WHERE pk = 2");
            exec(c, "DELETE FROM archive.tb_order WHERE pk = 3");
            for (String[] pair : new String[][] {{"sales.tv_order", "sales.v_order"}, {"archive.tv_order", "archive.v_order"},
                    {"sales.\"" + longName + "\"", "sales.\"" + longView + "\""}}) {
                assertThat(text(c, "SELECT count(*)::text FROM ((SELECT * FROM " + pair[0] + " EXCEPT SELECT * FROM " + pair[1] + ") UNION ALL "
                        + "(SELECT * FROM " + pair[1] + " EXCEPT SELECT * FROM " + pair[0] + ")) d")).as(pair[0]).isEqualTo("0");
            }
            assertThat(text(c, "SELECT count(*)::text FROM archive.tv_order")).isEqualTo("19");
            assertThat(text(c, "SELECT data->>'ref' FROM sales.\"" + longName + "\" t JOIN sales.tb_order o USING (id) WHERE o.pk = 1"))
                    .isEqualTo("SOLD");
            // back to cdc: every trigger and function of all three goes away
            exec(c, "UPDATE tviewd.tview_mode SET mode = 'cdc'");
            try (Daemon cdc = new Daemon(Configs.forDatabase(db, "TVIEWD_CDC_SLOT_NAME", "trigger_names_cdc",
                    "TVIEWD_DISCOVERY_SCHEMAS", "sales,archive"))) {
                cdc.start();
            }
            assertThat(text(c, "SELECT count(*)::text FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE 'tviewd%'")).isEqualTo("0");
            assertThat(text(c, "SELECT string_agg(proname, ', ') FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                    + "WHERE n.nspname = 'tviewd'")).isNull();
        }
    }

    @Test
    void triggerMode_passesTheDifferentialWorkload_withoutWaiting() throws Exception {
        DatabaseConfig db = TestDatabase.get().createDatabase("trigger");
        try (Connection c = session(db); InputStream schema = TriggerModeIT.class.getResourceAsStream("/propagation/schema.sql")) {
            exec(c, new String(schema.readAllBytes(), StandardCharsets.UTF_8));
        }
        var config = Configs.forDatabase(db, "TVIEWD_CDC_SLOT_NAME", "trigger", "TVIEWD_REFRESH_DEFAULT_MODE", "trigger");
        try (Daemon daemon = new Daemon(config)) {
            daemon.start();
            assertThat(daemon.pipeline().status().values()).allMatch(s -> s.mode().equals("trigger"));
            // populated at installation, before any write
            assertThat(Tviews.drift(db)).isEmpty();
        }
        // the triggers work without the daemon: they run in the writers' transactions
        long seed = Workloads.seed();
        int ops = Workloads.opsPerWriter(300);
        try (Connection c = session(db)) {
            // writers lock by value here (multi-hop paths through the junction table, the nested tv_user), not globally
            assertThat(TviewPlans.read(c, config).plans()).allMatch(io.tviewd.connectors.postgres.triggers.TriggerStatements::perKeyLocks);
        }
        Workloads.run(db, seed, 6, ops, PropagationWorkload.OPS);
        try (Connection c = session(db)) {
            exec(c, "TRUNCATE tb_post_tag");
            exec(c, "INSERT INTO tb_post_tag (fk_post, fk_tag) SELECT p.pk_post, t.pk_tag FROM tb_post p "
                    + "JOIN tb_tag t ON (p.pk_post * 7 + t.pk_tag) % 97 = 0 ON CONFLICT DO NOTHING");
        }
        Workloads.run(db, seed + 1, 2, ops / 3, PropagationWorkload.OPS);
        assertThat(Tviews.drift(db)).as("seed %d, %d ops per writer: no refresh lag in trigger mode", seed, ops).isEmpty();

        // installation is idempotent and objects are named predictably
        try (Connection c = session(db)) {
            var plans = TviewPlans.read(c, config);
            var tvPost = plans.find("tv_post").orElseThrow();
            List<String> before = TriggerInstaller.installed(c, tvPost.tview());
            assertThat(before).contains("public.tb_comment: tviewd_002_0680fa35_ins_tv_post", "public.tb_tag: tviewd_002_0680fa35_trunc_tv_post");
            // (a fresh slot: the first one holds the workload's WAL, which a new start would have to read through)
            exec(c, "SELECT pg_drop_replication_slot('trigger')");
            try (Daemon again = new Daemon(Configs.forDatabase(db, "TVIEWD_CDC_SLOT_NAME", "trigger_again",
                    "TVIEWD_REFRESH_DEFAULT_MODE", "trigger"))) {
                again.start();
            }
            assertThat(TriggerInstaller.installed(c, tvPost.tview())).containsExactlyElementsOf(before);
            assertThat(text(c, "SELECT count(*)::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                    + "WHERE n.nspname = 'tviewd' AND p.proname = 'refresh_0680fa35_public_tv_post'")).isEqualTo("1");

            // back to cdc: the triggers go away
            exec(c, "UPDATE tviewd.tview_mode SET mode = 'cdc'");
            try (Daemon cdc = new Daemon(Configs.forDatabase(db, "TVIEWD_CDC_SLOT_NAME", "trigger_to_cdc"))) {
                cdc.start();
            }
            assertThat(TriggerInstaller.installed(c, tvPost.tview())).isEmpty();
            assertThat(text(c, "SELECT count(*)::text FROM pg_trigger WHERE tgname LIKE 'tviewd%'")).isEqualTo("0");
        }
    }

    @Test
    void triggerMode_aPostInsertedWhileItsAuthorIsRenamedElsewhere_endsWithTheNewName() throws Exception {
        DatabaseConfig db = io.tviewd.daemon.support.BlogDatabase.create("trigger_phantom", 20, 100, 200);
        try (Daemon daemon = new Daemon(Configs.forDatabase(db, "TVIEWD_CDC_SLOT_NAME", "trigger_phantom",
                "TVIEWD_REFRESH_DEFAULT_MODE", "trigger"))) {
            daemon.start();
            // (an engine closed while it is still connecting takes its whole stop timeout)
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(daemon::cdcStreaming);
        }
        try (Connection a = session(db); Connection b = session(db); Connection probe = session(db)) {
            String author = text(a, "SELECT min(pk_user)::text FROM tb_user");
            // a renames the author; its triggers refresh the author's posts, which do not include b's new post
            a.setAutoCommit(false);
            exec(a, "UPDATE tb_user SET name = 'Renamed' WHERE pk_user = " + author);
            // b inserts a post by that author: its document must not be computed with the old name and kept
            java.util.concurrent.CompletableFuture<Void> insert = java.util.concurrent.CompletableFuture.runAsync(() -> {
                try {
                    exec(b, "INSERT INTO tb_post (identifier, fk_author, title, body) VALUES ('phantom', " + author + ", 'P', 'p')");
                } catch (java.sql.SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            // whichever way the writers are ordered, once both committed the new post shows the new name
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> insert.isDone()
                    || "t".equals(text(probe, "SELECT (count(*) > 0)::text FROM pg_stat_activity WHERE query LIKE 'INSERT INTO tb_post%' "
                    + "AND wait_event_type = 'Lock'").substring(0, 1)));
            a.commit();
            insert.get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(text(probe, "SELECT data->'author'->>'name' FROM tv_post WHERE identifier = 'phantom'")).isEqualTo("Renamed");
        }
        assertThat(Tviews.drift(db)).as("every tview equals its view").isEmpty();
    }

    /**
     * Writers of different documents go on while another trigger-mode transaction is open; a writer of the same document
     * waits for it and then computes from its commit. Every plan of the blog schema locks by value.
     */
    @Test
    void triggerMode_writersOfDifferentDocumentsDoNotWaitForEachOther_butWritersOfOneDocumentDo() throws Exception {
        DatabaseConfig db = io.tviewd.daemon.support.BlogDatabase.create("trigger_keys", 30, 200, 400);
        var config = Configs.forDatabase(db, "TVIEWD_CDC_SLOT_NAME", "trigger_keys", "TVIEWD_REFRESH_DEFAULT_MODE", "trigger");
        try (Daemon daemon = new Daemon(config)) {
            daemon.start();
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(daemon::cdcStreaming);
        }
        try (Connection a = session(db); Connection b = session(db); Connection same = session(db); Connection probe = session(db)) {
            var plans = TviewPlans.read(probe, config);
            assertThat(plans.plans()).allMatch(io.tviewd.connectors.postgres.triggers.TriggerStatements::perKeyLocks);
            String post = text(probe, "SELECT min(pk_post)::text FROM tb_post");
            String author = text(probe, "SELECT fk_author::text FROM tb_post WHERE pk_post = " + post);
            // a user with no post and no comment related to a's post or its author's documents
            String other = text(probe, "SELECT min(u.pk_user)::text FROM tb_user u WHERE u.pk_user <> " + author
                    + " AND NOT EXISTS (SELECT 1 FROM tb_comment c WHERE c.fk_user = u.pk_user AND c.fk_post = " + post + ")");
            String otherPost = text(probe, "SELECT min(pk_post)::text FROM tb_post WHERE fk_author <> " + author
                    + " AND pk_post NOT IN (SELECT fk_post FROM tb_comment WHERE fk_user = " + author + ")");
            a.setAutoCommit(false);
            exec(a, "UPDATE tb_post SET title = 'held open' WHERE pk_post = " + post);

            // while a is open: other documents are written without waiting (a lock wait would fail here)
            exec(b, "SET lock_timeout = '3s'");
            exec(b, "UPDATE tb_post SET title = 'not waiting' WHERE pk_post = " + otherPost);
            exec(b, "INSERT INTO tb_comment (identifier, fk_post, fk_user, body) VALUES ('c-no-wait', " + otherPost + ", " + other + ", 'no wait')");
            exec(b, "UPDATE tb_user SET name = 'Renamed, no wait' WHERE pk_user = " + other);
            exec(b, "INSERT INTO tb_post (identifier, fk_author, title, body) VALUES ('other-new', " + other + ", 'N', 'n')");

            // a comment on a's post is a change to a's document: it waits for a, then shows a's title
            java.util.concurrent.CompletableFuture<Void> comment = java.util.concurrent.CompletableFuture.runAsync(() -> {
                try {
                    exec(same, "INSERT INTO tb_comment (identifier, fk_post, fk_user, body) VALUES ('c-waits', " + post + ", " + other + ", 'waits')");
                } catch (java.sql.SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> "t".equals(text(probe,
                    "SELECT (count(*) > 0)::text FROM pg_stat_activity WHERE query LIKE 'INSERT INTO tb_comment%c-waits%' "
                    + "AND wait_event_type = 'Lock'").substring(0, 1)));
            assertThat(comment).isNotDone();
            a.commit();
            comment.get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(text(probe, "SELECT data->>'title' FROM tv_post WHERE pk_post = " + post)).isEqualTo("held open");
        }
        assertThat(Tviews.drift(db)).as("every tview equals its view").isEmpty();
    }
}
