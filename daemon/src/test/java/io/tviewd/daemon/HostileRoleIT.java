package io.tviewd.daemon;

import static io.tviewd.daemon.support.Sql.exec;
import static io.tviewd.daemon.support.Sql.session;
import static io.tviewd.daemon.support.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import io.tviewd.config.DatabaseConfig;
import io.tviewd.daemon.support.BlogDatabase;
import io.tviewd.daemon.support.Configs;
import io.tviewd.daemon.support.Daemons;
import io.tviewd.daemon.support.Tviews;
import io.tviewd.daemon.support.Workloads;

/** What a role without the daemon's rights can do to it: not stall its refreshes, not read its event key. */
class HostileRoleIT {

    @Test
    void aRoleWithoutRights_cannotTakeTheRefreshLock_norStallRefreshWithTheFormerAdvisoryKey() throws Exception {
        DatabaseConfig db = BlogDatabase.create("hostile", 20, 60, 120);
        try (Daemon daemon = Daemons.started(Configs.forDatabase(db, "TVIEWD_CDC_SLOT_NAME", "hostile",
                "TVIEWD_REFRESH_STATEMENT_TIMEOUT", "2s"));
             Connection mallory = session(db); Connection admin = session(db)) {
            exec(admin, "CREATE ROLE mallory_lock LOGIN");
            exec(mallory, "SET ROLE mallory_lock");
            mallory.setAutoCommit(false);
            assertThatThrownBy(() -> exec(mallory, "LOCK TABLE tviewd.refresh_lock IN EXCLUSIVE MODE")).hasMessageContaining("permission denied");
            mallory.rollback();
            assertThatThrownBy(() -> text(mallory, "SELECT key FROM tviewd.event_key")).hasMessageContaining("permission denied");
            mallory.rollback();
            // the advisory key every refresh used to wait for, held for longer than the statement timeout
            exec(mallory, "SELECT pg_advisory_xact_lock(" + 0x7476696577644cL + ")");
            Workloads.run(db, 9, 2, 60);
            Tviews.awaitConverged(db, Duration.ofSeconds(30), "while another role holds the former advisory lock");
            assertThat(daemon.cdcStreaming()).isTrue();
            assertThat(daemon.pipeline().status().values()).noneMatch(s -> s.quarantined());
            mallory.rollback();
        }
    }
}
