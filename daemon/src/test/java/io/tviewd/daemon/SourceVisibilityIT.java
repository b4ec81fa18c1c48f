package io.tviewd.daemon;

import static io.tviewd.daemon.support.Sql.exec;
import static io.tviewd.daemon.support.Sql.session;
import static io.tviewd.daemon.support.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;

import io.tviewd.config.DatabaseConfig;
import io.tviewd.config.TviewdConfig;
import io.tviewd.connectors.postgres.PostgresSessions;
import io.tviewd.connectors.postgres.plan.RefreshPlan;
import io.tviewd.connectors.postgres.plan.TviewPlans;
import io.tviewd.connectors.postgres.refresh.RefreshCause;
import io.tviewd.connectors.postgres.refresh.RefreshRequest;
import io.tviewd.connectors.postgres.refresh.Refresher;
import io.tviewd.daemon.support.BlogDatabase;
import io.tviewd.daemon.support.Configs;

/**
 * Logical decoding can deliver a transaction a moment before other sessions see it. A CDC refresh
 * therefore first waits until the batch's source transactions are visible; here the source
 * transaction is held open, so the refresh must wait for it and then read its change.
 */
class SourceVisibilityIT {

    @Test
    void refresh_waitsUntilItsSourceTransactionIsVisible_thenReadsItsChange() throws Exception {
        DatabaseConfig db = BlogDatabase.create("visible", 5, 10, 10);
        TviewdConfig cfg = Configs.forDatabase(db);
        try (Connection writer = session(db); Connection reader = session(db);
             Refresher refresher = new Refresher(new PostgresSessions(db), cfg.refresh())) {
            io.tviewd.connectors.postgres.state.StateSchema.install(reader);   // as the daemon's start would: the refresh lock, the event key
            RefreshPlan plan = TviewPlans.read(reader, cfg).find("tv_user").orElseThrow();
            assertThat(refresher.refresh(List.of(RefreshRequest.full(plan.tview(), RefreshCause.of("reconcile")))).get(0).error()).isNull();
            String id = text(reader, "SELECT id::text FROM tb_user ORDER BY pk_user LIMIT 1");

            writer.setAutoCommit(false);
            exec(writer, "UPDATE tb_user SET name = 'seen after commit' WHERE id = '" + id + "'");
            long xid = Long.parseLong(text(writer, "SELECT txid_current() % 4294967296"));

            CompletableFuture<Void> refresh = CompletableFuture.runAsync(() -> {
                try {
                    refresher.refresh(List.of(RefreshRequest.keys(plan.tview(), Set.of(id), RefreshCause.of("cdc"))), List.of(xid));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> !refresh.isDone());
            writer.commit();
            refresh.get();
            assertThat(text(reader, "SELECT data->>'name' FROM tv_user WHERE id = '" + id + "'")).isEqualTo("seen after commit");
        }
    }
}
