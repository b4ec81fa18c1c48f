package io.tviewd.daemon.pipeline;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Map;

import io.tviewd.config.RefreshConfig;
import io.tviewd.connectors.postgres.PostgresSessions;
import io.tviewd.connectors.postgres.catalog.Tview;
import io.tviewd.connectors.postgres.refresh.RefreshCause;
import io.tviewd.connectors.postgres.refresh.Refresher;
import io.tviewd.connectors.postgres.refresh.TviewPopulator;
import io.tviewd.connectors.postgres.state.OwedRefreshes;

/**
 * The full refreshes the daemon owes, kept in {@link OwedRefreshes}: a debt is stored before the change stream
 * moves past what a tview missed, paid by a chunked diff refresh ({@link TviewPopulator}: every chunk its own
 * short transaction, so no single statement has to fit the whole tview within {@code refresh.statement-timeout}),
 * and removed only after that refresh converged the whole tview.
 */
final class Recovery {

    private final PostgresSessions sessions;
    private final RefreshConfig config;

    Recovery(PostgresSessions sessions, RefreshConfig config) {
        this.sessions = sessions;
        this.config = config;
    }

    /** Debts stored by earlier runs (or this one), by tview name. */
    Map<String, OwedRefreshes.Owed> read() throws SQLException {
        try (Connection c = sessions.open("tviewd-owed")) {
            return OwedRefreshes.read(c);
        }
    }

    /** Stores each tview's debt with its reason; returns only after they are committed. */
    void owe(Map<String, String> reasons) throws SQLException {
        try (Connection c = sessions.open("tviewd-owed")) {
            OwedRefreshes.owe(c, reasons);
        }
    }

    /**
     * Pays a tview's debt: a chunked diff refresh through {@code refresher} (the caller's, on the caller's thread; its
     * events say mode {@code reconcile}), then removes the debt as it stood when the refresh began.
     *
     * @throws SQLException when a chunk fails (the debt stays)
     */
    TviewPopulator.Result recover(Refresher refresher, Tview t) throws SQLException {
        try (Connection c = sessions.open("tviewd-recovery", config.statementTimeout())) {
            OwedRefreshes.Owed owed = OwedRefreshes.read(c).get(t.table().toString());
            Instant owedAt = owed == null ? Instant.now() : owed.owedAt();
            TviewPopulator.Result r = TviewPopulator.populate(c, refresher, t, TviewPopulator.CHUNK_SIZE,
                    RefreshCause.of("reconcile"), (n, total) -> { });
            OwedRefreshes.settle(c, t.table().toString(), owedAt);
            return r;
        }
    }
}
