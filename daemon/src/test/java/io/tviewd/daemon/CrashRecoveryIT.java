package io.tviewd.daemon;

import static io.tviewd.daemon.support.Sql.exec;
import static io.tviewd.daemon.support.Sql.session;
import static io.tviewd.daemon.support.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.StringReader;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;

import io.tviewd.config.DatabaseConfig;
import io.tviewd.daemon.support.DaemonProcess;
import io.tviewd.daemon.support.Http;
import io.tviewd.daemon.support.BlogDatabase;
import io.tviewd.daemon.support.Tviews;
import io.tviewd.daemon.support.Workloads;

/**
 * The executable stopped with SIGTERM and killed with SIGKILL mid-stream, then restarted: no
 * committed change is lost, replays are harmless, and a graceful stop exits 0 and frees the slot.
 */
class CrashRecoveryIT {

    @Test
    void sigterm_midStream_exitsZeroReleasesSlot_andRestartCatchesUp() throws Exception {
        DatabaseConfig db = blog("graceful");
        long seed = Workloads.seed();
        try (DaemonProcess first = DaemonProcess.start(db, "graceful-1", "TVIEWD_CDC_SLOT_NAME", "graceful")) {
            CompletableFuture<Long> writes = CompletableFuture.supplyAsync(() -> workload(db, seed, 300));
            awaitCommentChanges(first, 20);
            assertThat(first.stopGracefully(Duration.ofSeconds(60))).as("exit code after SIGTERM; log:\n%s", first.logText())
                    .isZero();
            assertThat(slotActive(db, "graceful")).as("slot still active after graceful stop").isFalse();
            assertThat(writes.get()).isPositive();
        }
        try (DaemonProcess second = DaemonProcess.start(db, "graceful-2", "TVIEWD_CDC_SLOT_NAME", "graceful")) {
            Tviews.awaitConverged(db, Duration.ofSeconds(60), "seed " + seed + ", after SIGTERM and restart");
            assertThat(second.stopGracefully(Duration.ofSeconds(60))).isZero();
        }
    }

    @Test
    void sigkill_midStream_restartLosesNoChange() throws Exception {
        DatabaseConfig db = blog("kill");
        long seed = Workloads.seed() + 1;
        try (DaemonProcess first = DaemonProcess.start(db, "kill-1", "TVIEWD_CDC_SLOT_NAME", "kill",
                "TVIEWD_CDC_OFFSET_FLUSH_INTERVAL", "10ms")) {
            CompletableFuture<Long> writes = CompletableFuture.supplyAsync(() -> workload(db, seed, 400));
            awaitCommentChanges(first, 30);
            first.kill();
            assertThat(writes.get()).isPositive();
        }
        try (DaemonProcess second = DaemonProcess.start(db, "kill-2", "TVIEWD_CDC_SLOT_NAME", "kill")) {
            Tviews.awaitConverged(db, Duration.ofSeconds(60), "seed " + seed + ", after SIGKILL and restart");
        }
    }

    /**
     * Rows written by one multi-row INSERT … SELECT share a transaction; rows written by COPY also
     * share WAL records, hence LSNs (COPY uses multi-insert when no column default is volatile, so
     * the test supplies {@code id}). Each row is its own tview key, so a skipped change cannot be
     * masked by a later change to the same key. Small batches and fast offset flushes put batch
     * boundaries inside these transactions, and the daemon is killed while it works through the
     * COPY. After restart every row must be in the tviews (Debezium 3.6 alone would skip the rest of
     * a same-LSN group).
     */
    @Test
    void multiRowInsertAndCopy_justBeforeSigkill_loseNothing() throws Exception {
        DatabaseConfig db = blog("copy");
        String[] overrides = {"TVIEWD_CDC_SLOT_NAME", "copy", "TVIEWD_CDC_MAX_BATCH_SIZE", "50",
                "TVIEWD_CDC_MAX_QUEUE_SIZE", "100", "TVIEWD_CDC_OFFSET_FLUSH_INTERVAL", "10ms"};
        int insertRows = 2_000;
        int copyRows = 10_000;
        try (DaemonProcess first = DaemonProcess.start(db, "copy-1", overrides);
             Connection c = session(db)) {
            double before = changes(first, "tb_post");
            exec(c, "INSERT INTO tb_post (identifier, fk_author, title, body) "
                    + "SELECT 'bulk-i-' || g, 1 + g % 50, 'bulk insert ' || g, 'x' FROM generate_series(1, " + insertRows + ") g");
            StringBuilder copy = new StringBuilder();
            for (int i = 1; i <= copyRows; i++) {
                copy.append(java.util.UUID.randomUUID()).append("\tbulk-c-").append(i).append('\t').append(1 + i % 50)
                        .append("\tbulk copy ").append(i).append("\tx\n");
            }
            c.unwrap(PGConnection.class).getCopyAPI().copyIn(
                    "COPY tb_post (id, identifier, fk_author, title, body) FROM STDIN", new StringReader(copy.toString()));
            // kill while the daemon is inside the COPY transaction's changes
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5))
                    .until(() -> changes(first, "tb_post") >= before + insertRows + 500);
            first.kill();
        }
        try (DaemonProcess second = DaemonProcess.start(db, "copy-2", overrides);
             Connection c = session(db)) {
            Tviews.awaitConverged(db, Duration.ofSeconds(90), "multi-row INSERT and COPY before SIGKILL");
            assertThat(text(c, "SELECT count(*)::text FROM tv_post WHERE identifier LIKE 'bulk-i-%'"))
                    .isEqualTo(Integer.toString(insertRows));
            assertThat(text(c, "SELECT count(*)::text FROM tv_post WHERE identifier LIKE 'bulk-c-%'"))
                    .isEqualTo(Integer.toString(copyRows));
            assertThat(text(c, "SELECT count(*)::text FROM ta_post WHERE title LIKE 'bulk copy %'"))
                    .isEqualTo(Integer.toString(copyRows));
        }
    }

    private static DatabaseConfig blog(String name) throws Exception {
        return BlogDatabase.create(name, 50, 200, 400);
    }

    private static long workload(DatabaseConfig db, long seed, int ops) {
        try {
            return Workloads.run(db, seed, 2, ops);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void awaitCommentChanges(DaemonProcess d, double atLeast) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).until(() -> changes(d, "tb_comment") >= atLeast);
    }

    /** Changes of a base table the daemon consumed so far, read from its metrics endpoint. */
    private static double changes(DaemonProcess d, String table) throws Exception {
        Matcher m = Pattern.compile("tviewd_cdc_changes_total\\{table=\"public." + table + "\"} ([0-9.E]+)")
                .matcher(Http.get(d.port(), "/metrics").body());
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    private static boolean slotActive(DatabaseConfig db, String slot) throws SQLException {
        try (Connection c = session(db)) {
            return "t".equals(text(c, "SELECT active::text FROM pg_replication_slots WHERE slot_name = '" + slot + "'")
                    .substring(0, 1));
        }
    }
}
