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
    void aPairCreatedByARoleOutsideDiscoveryOwners_isNotAdopted_theOthersAre() throws Exception {
        DatabaseConfig db = BlogDatabase.create("intruder", 5, 10, 10);
        try (Connection c = session(db)) {
            exec(c, "CREATE ROLE intruder LOGIN");
            exec(c, "GRANT CREATE ON SCHEMA public TO intruder");
            exec(c, "SET ROLE intruder");
            exec(c, "CREATE TABLE tb_evil (id uuid PRIMARY KEY, note text)");
            exec(c, "CREATE TABLE tv_evil (id uuid PRIMARY KEY, data jsonb)");
            exec(c, "CREATE VIEW v_evil AS SELECT id, jsonb_build_object('n', note) AS data FROM tb_evil");
            exec(c, "RESET ROLE");
        }
        try (Daemon daemon = Daemons.started(Configs.forDatabase(db, "TVIEWD_CDC_SLOT_NAME", "intruder"))) {
            assertThat(daemon.refused().get("public.tv_evil"))
                    .startsWith("Tview public.tv_evil (owned by intruder) and its view public.v_evil (owned by intruder) are not both "
                            + "owned by a role in discovery.owners [postgres]");
            assertThat(daemon.pipeline().status()).containsKeys("tv_post", "tv_user").doesNotContainKey("tv_evil");
        }
        // an operator who trusts that role says so
        try (Daemon daemon = Daemons.started(Configs.forDatabase(db, "TVIEWD_CDC_SLOT_NAME", "intruder",
                "TVIEWD_DISCOVERY_OWNERS", "postgres,intruder"))) {
            assertThat(daemon.refused()).doesNotContainKey("public.tv_evil");
        }
    }

    @Test
    void aTviewdSchemaSquattedByAnotherRole_refusesTheStartNamingItsObjectsAndOwner() throws Exception {
        DatabaseConfig db = BlogDatabase.create("squat", 5, 10, 10);
        try (Connection c = session(db)) {
            exec(c, "CREATE ROLE squatter LOGIN");
            exec(c, "GRANT CREATE ON DATABASE " + text(c, "SELECT current_database()") + " TO squatter");
            exec(c, "SET ROLE squatter");
            exec(c, "CREATE SCHEMA tviewd");
            exec(c, "CREATE TABLE tviewd.offsets (store text, key bytea, value bytea, updated_at timestamptz, PRIMARY KEY (store, key))");
            exec(c, "RESET ROLE");
        }
        assertThatThrownBy(() -> Daemons.started(Configs.forDatabase(db, "TVIEWD_CDC_SLOT_NAME", "squat")).close())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("The tviewd schema must belong to the daemon's role, but schema tviewd (owned by squatter), "
                        + "table tviewd.offsets (owned by squatter) do not");
        try (Connection c = session(db)) {
            assertThat(text(c, "SELECT count(*)::text FROM pg_replication_slots WHERE slot_name = 'squat'")).isEqualTo("0");
        }
    }

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
