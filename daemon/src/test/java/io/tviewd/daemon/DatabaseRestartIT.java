package io.tviewd.daemon;

import static io.tviewd.daemon.support.Sql.exec;
import static io.tviewd.daemon.support.Sql.session;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tviewd.config.DatabaseConfig;
import io.tviewd.config.Secret;
import io.tviewd.daemon.demo.BlogSchema;
import io.tviewd.daemon.demo.EmbeddedDatabase;
import io.tviewd.daemon.support.Configs;
import io.tviewd.daemon.support.Daemons;
import io.tviewd.daemon.support.Tviews;
import io.tviewd.daemon.support.Workloads;

/** Guarantee 1 across a database restart: the daemon keeps running, reconnects and loses no change. */
class DatabaseRestartIT {

    @Test
    void databaseRestart_whileTheDaemonRuns_losesNoChange(@TempDir Path dir) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 0, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path data = dir.resolve("pgdata");
        EmbeddedDatabase pg = EmbeddedDatabase.startAt(data, port);
        DatabaseConfig db = new DatabaseConfig(pg.jdbcUrl(), "postgres", Secret.of(""));
        try (Connection c = session(db)) {
            BlogSchema.create(c);
            BlogSchema.fill(c, 30, 100, 100);
        }
        long seed = Workloads.seed() + 7;
        try (Daemon daemon = Daemons.started(Configs.forDatabase(db, "TVIEWD_CDC_SLOT_NAME", "restart"))) {
            long statements = Workloads.run(db, seed, 2, 200);
            pg.close();
            pg = EmbeddedDatabase.startAt(data, port);
            statements += Workloads.run(db, seed + 1, 2, 200);
            try (Connection c = session(db)) {
                exec(c, "UPDATE tb_post SET title = 'after restart' WHERE pk_post = (SELECT min(pk_post) FROM tb_post)");
            }
            Tviews.awaitNothingLost(db, Duration.ofSeconds(120), "PostgreSQL restarted mid-stream, seed " + seed, statements + 1);
            await().atMost(Duration.ofSeconds(60)).until(() -> daemon.source().isStreaming());
            assertThat(daemon.state()).isEqualTo(Daemon.State.RUNNING);
        } finally {
            pg.close();
        }
    }
}
