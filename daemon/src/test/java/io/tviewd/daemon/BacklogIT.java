package io.tviewd.daemon;

import static io.tviewd.daemon.support.Sql.exec;
import static io.tviewd.daemon.support.Sql.session;
import static io.tviewd.daemon.support.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import io.tviewd.config.DatabaseConfig;
import io.tviewd.daemon.support.DaemonProcess;
import io.tviewd.daemon.support.Http;
import io.tviewd.daemon.support.TestDatabase;
import io.tviewd.daemon.support.Tviews;

/**
 * A backlog of one million committed changes, written while the daemon is down, is caught up by the executable with its
 * production heap (512 MB, events on): it neither dies nor falls behind, its heap stays under the limit, and every
 * tview row equals its view afterwards. Prints the scenario's figures.
 */
class BacklogIT {

    private static final int ROWS = 10_000;
    private static final int ROUNDS = 100;

    @Test
    void aMillionChangeBacklog_isCaughtUpWithBoundedHeap_andLosesNothing() throws Exception {
        DatabaseConfig db = TestDatabase.get().createDatabase("backlog");
        try (Connection c = session(db)) {
            exec(c, "CREATE TABLE tb_counter (pk_counter bigint PRIMARY KEY, id uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE, n int NOT NULL)");
            exec(c, "CREATE VIEW v_counter AS SELECT id, pk_counter, jsonb_build_object('n', n, 'even', n % 2 = 0) AS data FROM tb_counter");
            exec(c, "CREATE TABLE tv_counter (id uuid PRIMARY KEY, pk_counter bigint NOT NULL, data jsonb NOT NULL)");
            exec(c, "INSERT INTO tb_counter (pk_counter, n) SELECT g, 0 FROM generate_series(1, " + ROWS + ") g");
        }
        String[] env = {"TVIEWD_CDC_SLOT_NAME", "backlog"};
        try (DaemonProcess first = DaemonProcess.start(db, "backlog-1", env)) {
            Tviews.awaitConverged(db, Duration.ofSeconds(60), "first start");
            assertThat(first.stopGracefully(Duration.ofSeconds(60))).isZero();
        }
        // one million row changes in 100 transactions while nothing reads the slot
        try (Connection c = session(db)) {
            for (int i = 0; i < ROUNDS; i++) {
                exec(c, "UPDATE tb_counter SET n = n + 1");
            }
            assertThat(text(c, "SELECT min(n)::text FROM tb_counter")).isEqualTo(Integer.toString(ROUNDS));
        }
        long start = System.nanoTime();
        double peakHeapMb = 0;
        try (DaemonProcess second = DaemonProcess.start(db, "backlog-2", env)) {
            double[] peak = {0};
            await().atMost(Duration.ofMinutes(8)).pollInterval(Duration.ofMillis(500)).until(() -> {
                assertThat(second.isAlive()).as("the daemon died catching up; log:\n%s", second.logText()).isTrue();
                peak[0] = Math.max(peak[0], heapMb(second.port()));
                return Tviews.drift(db).isEmpty();
            });
            peakHeapMb = peak[0];
            long seconds = Duration.ofNanos(System.nanoTime() - start).toSeconds();
            int rowsLost = Tviews.drift(db).values().stream().mapToInt(java.util.List::size).sum();
            System.out.printf("FAULT FIGURES [1M-change backlog]: %d changes committed while the daemon was down, caught up in %d s, "
                    + "peak heap %.0f MB of 512, tview rows lost %d%n", ROWS * ROUNDS, seconds, peakHeapMb, rowsLost);
            assertThat(rowsLost).isZero();
            assertThat(second.isAlive()).isTrue();
        }
        assertThat(peakHeapMb).as("peak heap while catching up (MB)").isPositive().isLessThan(512);
    }

    /** Heap in use (MB), from the daemon's own metrics; 0 when it does not answer. */
    private static double heapMb(int port) {
        try {
            double bytes = 0;
            for (String line : Http.get(port, "/metrics").body().split("\n")) {
                if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
                    bytes += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
            return bytes / (1024 * 1024);
        } catch (Exception e) {
            return 0;
        }
    }
}
