package io.tviewd.daemon;

import static io.tviewd.daemon.support.Sql.exec;
import static io.tviewd.daemon.support.Sql.session;
import static io.tviewd.daemon.support.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

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
 * DDL while the daemon runs, under a random write workload: a view redefined to read a table nobody published, a
 * new tv_/v_ pair, replica identity taken away and given back, a view that starts reading the clock, a pair dropped;
 * and a view redefined while the daemon is down. After each, every maintained tview equals its view, or the tview is
 * refused with the reason.
 */
class SchemaChangeIT {

    private static final String SCHEMA = """
            CREATE TABLE tb_author (pk_author bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                                    id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(), name text NOT NULL);
            CREATE TABLE tb_book (pk_book bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                                  id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
                                  fk_author bigint NOT NULL REFERENCES tb_author, title text NOT NULL);
            CREATE TABLE tb_tag (pk_tag bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                                 id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
                                 fk_book bigint NOT NULL REFERENCES tb_book, label text NOT NULL);
            ALTER TABLE tb_author REPLICA IDENTITY FULL;
            ALTER TABLE tb_book REPLICA IDENTITY FULL;
            ALTER TABLE tb_tag REPLICA IDENTITY FULL;
            CREATE VIEW v_book AS
                SELECT b.id, jsonb_build_object('title', b.title, 'author', a.name) AS data
                FROM tb_book b JOIN tb_author a ON a.pk_author = b.fk_author;
            CREATE TABLE tv_book (id uuid PRIMARY KEY, data jsonb NOT NULL);
            INSERT INTO tb_author (name) SELECT 'author ' || g FROM generate_series(1, 20) g;
            INSERT INTO tb_book (fk_author, title) SELECT 1 + g % 20, 'book ' || g FROM generate_series(1, 200) g;
            INSERT INTO tb_tag (fk_book, label) SELECT 1 + g % 200, 'tag ' || g FROM generate_series(1, 300) g;
            """;

    private static final String V_BOOK_WITH_TAGS = """
            CREATE OR REPLACE VIEW v_book AS
                SELECT b.id, jsonb_build_object('title', b.title, 'author', a.name,
                       'tags', (SELECT jsonb_agg(t.label ORDER BY t.label) FROM tb_tag t WHERE t.fk_book = b.pk_book)) AS data
                FROM tb_book b JOIN tb_author a ON a.pk_author = b.fk_author
            """;

    @Test
    void ddlWhileRunning_isNoticedReplannedAndReconciled() throws Exception {
        DatabaseConfig db = TestDatabase.get().createDatabase("schema_change");
        try (Connection c = session(db)) {
            exec(c, SCHEMA);
        }
        TviewdConfig config = Configs.forDatabase(db, "TVIEWD_CDC_SLOT_NAME", "schema_change",
                "TVIEWD_DISCOVERY_SCHEMA_POLL_INTERVAL", "200ms");
        try (Daemon daemon = Daemons.started(config); Connection c = session(db); Writers writers = new Writers(db)) {
            writers.pause();
            Tviews.awaitConverged(db, Duration.ofSeconds(30), "start; writers seed " + writers.seed);
            writers.resume();

            // a view redefined to read tb_tag, which was not published: writes to it before and after the change.
            // The tag goes on a book the writers never touch (they pick books 1..200), so no random delete takes it away.
            String quietBook = text(c, "INSERT INTO tb_book (fk_author, title) VALUES (1, 'quiet book') RETURNING pk_book::text");
            exec(c, V_BOOK_WITH_TAGS);
            exec(c, "INSERT INTO tb_tag (fk_book, label) VALUES (" + quietBook + ", 'right after the DDL')");
            await().atMost(Duration.ofSeconds(30)).until(() -> text(c,
                    "SELECT count(*)::text FROM pg_publication_tables WHERE pubname = 'tviewd' AND tablename = 'tb_tag'").equals("1"));
            writers.pause();
            Tviews.awaitConverged(db, Duration.ofSeconds(60), "view redefined to read tb_tag; writers seed " + writers.seed);
            assertThat(text(c, "SELECT (t.data->'tags' @> '[\"right after the DDL\"]')::text FROM tv_book t JOIN tb_book b USING (id) "
                    + "WHERE b.pk_book = " + quietBook)).isEqualTo("true");
            writers.resume();

            // a new pair, created while running
            exec(c, """
                    CREATE VIEW v_tag AS SELECT t.id, jsonb_build_object('label', t.label, 'book', b.title) AS data
                        FROM tb_tag t JOIN tb_book b ON b.pk_book = t.fk_book;
                    CREATE TABLE tv_tag (id uuid PRIMARY KEY, data jsonb NOT NULL);
                    """);
            await().atMost(Duration.ofSeconds(30)).until(() -> daemon.pipeline().status().containsKey("tv_tag"));
            writers.pause();
            Tviews.awaitConverged(db, Duration.ofSeconds(60), "new pair tv_tag; writers seed " + writers.seed);
            writers.resume();

            // replica identity taken away: the tviews mapping tb_tag through old images are refused, loudly
            exec(c, "ALTER TABLE tb_tag REPLICA IDENTITY DEFAULT");
            await().atMost(Duration.ofSeconds(30)).until(() -> daemon.refused().containsKey("public.tv_book"));
            assertThat(daemon.refused().get("public.tv_book")).contains("public.tb_tag has REPLICA IDENTITY DEFAULT");
            assertThat(daemon.pipeline().status()).doesNotContainKey("tv_book");
            JsonObject ready = new JsonObject(Http.get(daemon.httpPort(), "/health/ready").body());
            assertThat(ready.getString("status")).isEqualTo("DEGRADED");
            // and given back: maintained again, reconciled with what was written meanwhile
            exec(c, "ALTER TABLE tb_tag REPLICA IDENTITY FULL");
            await().atMost(Duration.ofSeconds(30)).until(() -> daemon.pipeline().status().containsKey("tv_book")
                    && !daemon.refused().containsKey("public.tv_book"));
            writers.pause();
            Tviews.awaitConverged(db, Duration.ofSeconds(60), "replica identity given back; writers seed " + writers.seed);
            writers.resume();

            // a view that starts reading the clock cannot be kept fresh: refused naming it
            exec(c, "CREATE OR REPLACE VIEW v_tag AS SELECT t.id, jsonb_build_object('label', t.label, 'book', b.title, "
                    + "'seen', now()) AS data FROM tb_tag t JOIN tb_book b ON b.pk_book = t.fk_book");
            await().atMost(Duration.ofSeconds(30)).until(() -> daemon.refused().containsKey("public.tv_tag"));
            assertThat(daemon.refused().get("public.tv_tag")).contains("now()");
            // a dropped pair is simply no longer maintained
            exec(c, "DROP VIEW v_tag; DROP TABLE tv_tag");
            await().atMost(Duration.ofSeconds(30)).until(() -> !daemon.refused().containsKey("public.tv_tag"));
            assertThat(daemon.pipeline().status()).doesNotContainKey("tv_tag");
            writers.stop();
            Tviews.awaitConverged(db, Duration.ofSeconds(60), "after the DDL sequence; writers seed " + writers.seed);
            assertThat(new JsonObject(Http.get(daemon.httpPort(), "/health/ready").body()).getString("status")).isEqualTo("UP");
        }

        // redefined while the daemon is down: the next start cannot prove tv_book current and reconciles it
        try (Connection c = session(db)) {
            exec(c, V_BOOK_WITH_TAGS.replace("'title', b.title", "'title', upper(b.title)"));
        }
        try (Daemon daemon = Daemons.started(config)) {
            Tviews.awaitConverged(db, Duration.ofSeconds(60), "view redefined while the daemon was down");
            assertThat(daemon.pipeline().status().get("tv_book").owedReason()).isNull();
        }
    }

    /** A random write workload on its own thread: titles, author names, tags added and removed. */
    private static final class Writers implements AutoCloseable {
        final long seed = System.nanoTime();
        private final AtomicBoolean paused = new AtomicBoolean();
        private final AtomicBoolean stopped = new AtomicBoolean();
        private final AtomicBoolean idle = new AtomicBoolean();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final Thread thread;

        Writers(DatabaseConfig db) {
            thread = new Thread(() -> run(db), "schema-change-writers");
            thread.start();
        }

        private void run(DatabaseConfig db) {
            Random random = new Random(seed);
            try (Connection c = session(db)) {
                while (!stopped.get()) {
                    synchronized (this) {
                        while (paused.get() && !stopped.get()) {
                            idle.set(true);
                            wait();
                        }
                    }
                    idle.set(false);
                    int book = 1 + random.nextInt(200);
                    switch (random.nextInt(4)) {
                        case 0 -> exec(c, "UPDATE tb_book SET title = 'book " + book + " v" + random.nextInt(1000) + "' WHERE pk_book = " + book);
                        case 1 -> exec(c, "UPDATE tb_author SET name = 'author v" + random.nextInt(1000) + "' WHERE pk_author = "
                                + (1 + random.nextInt(20)));
                        case 2 -> exec(c, "INSERT INTO tb_tag (fk_book, label) VALUES (" + book + ", 'tag r" + random.nextInt(1000) + "')");
                        default -> exec(c, "DELETE FROM tb_tag WHERE pk_tag = (SELECT min(pk_tag) FROM tb_tag WHERE fk_book = " + book + ")");
                    }
                }
            } catch (Exception e) {
                failure.set(e);
            }
        }

        /** Waits until the writer is idle: convergence is checked against a database at rest. */
        void pause() {
            paused.set(true);
            await().atMost(Duration.ofSeconds(10)).until(() -> idle.get() || failure.get() != null);
            assertThat(failure.get()).as("writer failure").isNull();
        }

        synchronized void resume() {
            idle.set(false);
            paused.set(false);
            notifyAll();
        }

        void stop() throws InterruptedException {
            synchronized (this) {
                stopped.set(true);
                notifyAll();
            }
            thread.join(10_000);
            assertThat(failure.get()).as("writer failure").isNull();
        }

        @Override
        public void close() throws InterruptedException {
            stop();
        }
    }
}
