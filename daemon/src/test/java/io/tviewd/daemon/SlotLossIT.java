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
import io.tviewd.config.TviewdConfig;
import io.tviewd.daemon.support.BlogDatabase;
import io.tviewd.daemon.support.Configs;
import io.tviewd.daemon.support.Daemons;
import io.tviewd.daemon.support.Tviews;
import io.tviewd.daemon.support.Workloads;

/**
 * The replication slot disappears while positions for it are stored (a DBA drops it, a failover loses it): the next start
 * says so, discards the orphaned positions, reconciles every tview and streams from the new slot, instead of being
 * refused the stored position at every restart.
 */
class SlotLossIT {

    @Test
    void slotDroppedWhileDownOrWhileRunning_nextStartReconcilesAndStreams() throws Exception {
        DatabaseConfig db = BlogDatabase.create("slotloss", 20, 60, 120);
        TviewdConfig config = Configs.forDatabase(db, "TVIEWD_CDC_SLOT_NAME", "slotloss");
        try (Daemon first = Daemons.started(config)) {
            Workloads.run(db, 1, 1, 100);
            Tviews.awaitConverged(db, Duration.ofSeconds(30), "first run");
        }
        try (Connection c = session(db)) {
            assertThat(text(c, "SELECT count(*)::text FROM tviewd.offsets WHERE store = 'slotloss'")).isNotEqualTo("0");
            Workloads.run(db, 2, 1, 100);                          // written while down: never streamed
            exec(c, "SELECT pg_drop_replication_slot('slotloss')");
        }

        try (Daemon second = Daemons.started(config); Connection c = session(db)) {
            Tviews.awaitConverged(db, Duration.ofSeconds(30), "after the slot was dropped while the daemon was down");
            Workloads.run(db, 3, 1, 100);
            Tviews.awaitConverged(db, Duration.ofSeconds(30), "streaming from the new slot");

            // dropped under the running daemon: its stream ends, it stops (the supervisor restarts it)
            await().atMost(Duration.ofSeconds(30)).until(() -> second.cdcStreaming()
                    && "t".equals(text(c, "SELECT active::text FROM pg_replication_slots WHERE slot_name = 'slotloss'").substring(0, 1)));
            exec(c, "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = 'slotloss'");
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                try {
                    exec(c, "SELECT pg_drop_replication_slot('slotloss')");
                    return true;
                } catch (java.sql.SQLException stillActive) {
                    exec(c, "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = 'slotloss' AND active");
                    return false;
                }
            });
            Workloads.run(db, 4, 1, 100);
        }
        try (Daemon third = Daemons.started(config)) {
            Tviews.awaitConverged(db, Duration.ofSeconds(30), "after the slot was dropped while the daemon ran");
            Workloads.run(db, 5, 1, 100);
            Tviews.awaitNothingLost(db, Duration.ofSeconds(30), "slot dropped while down, then while running", 500);
        }
    }
}
