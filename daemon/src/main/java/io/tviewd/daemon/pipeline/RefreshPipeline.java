package io.tviewd.daemon.pipeline;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.tviewd.config.RefreshConfig;
import io.tviewd.connectors.ChangeBatch;
import io.tviewd.connectors.ChangeHandler;
import io.tviewd.connectors.RowChange;
import io.tviewd.connectors.TableName;
import io.tviewd.connectors.postgres.PostgresSessions;
import io.tviewd.connectors.postgres.catalog.Tview;
import io.tviewd.connectors.postgres.plan.RefreshPlan;
import io.tviewd.connectors.postgres.refresh.Readers;
import io.tviewd.connectors.postgres.refresh.RefreshFailedException;
import io.tviewd.connectors.postgres.refresh.RefreshRequest;
import io.tviewd.connectors.postgres.refresh.RefreshResult;
import io.tviewd.connectors.postgres.refresh.Refresher;
import io.tviewd.connectors.postgres.refresh.TviewPopulator;
import io.tviewd.connectors.postgres.state.OwedRefreshes;
import io.tviewd.daemon.metrics.DaemonMetrics;
import io.tviewd.daemon.retry.Retry;

/**
 * The CDC driver of refresh: maps each batch of changes to tview keys, coalesces them, and
 * recomputes them in one transaction (one statement per tview). Returns only after that
 * transaction committed, so the change source may then advance its offset.
 *
 * <p>A tview whose refresh fails for a non-transient reason (a poisoned view, a statement timeout) is quarantined:
 * its last error is shown in the API, other tviews keep refreshing, and before the batch is acknowledged the daemon
 * stores that it owes the tview (and every tview reading it) a full refresh ({@link Recovery}). A debt, whether
 * from this run, an earlier one, or a start-up reconcile, is paid by a chunked diff refresh between batches (a
 * quarantined tview's at most every {@code refresh.quarantine-retry}; a tview reading an owed tview only after
 * that one is paid) and removed only once it converged. Transient failures (connection loss, deadlock) retry with
 * backoff; when retries run out the exception stops the source.
 *
 * <p>Threading: {@link #handle} runs on the change source's thread, one batch at a time.
 */
public final class RefreshPipeline implements ChangeHandler {

    private static final Logger LOG = LoggerFactory.getLogger(RefreshPipeline.class);
    static final String MODE = "cdc";

    private final Refresher refresher;
    private final Recovery recovery;
    private volatile KeyMapper mapper;
    private volatile List<RefreshPlan> plans;
    private final Map<String, String> modes = new java.util.concurrent.ConcurrentHashMap<>();
    /** Held while a batch is mapped and refreshed, and while modes change: a mode applies between batches. */
    private final Object batchLock = new Object();
    /** Replaced whole (never changed in place) when the tviews are re-planned: readers iterate a consistent map. */
    private volatile Map<String, TviewStatus> status = new LinkedHashMap<>();
    private final DaemonMetrics metrics;
    private final Retry retry;
    private final Duration quarantineRetry;
    private final AtomicLong changesConsumed = new AtomicLong();
    private final AtomicLong rowsRefreshed = new AtomicLong();
    private final AtomicLong lastLsn = new AtomicLong(-1);
    private volatile long lagMillis = -1;
    private long nextQuarantineRetry;

    /**
     * @param plans every maintained tview in refresh order; only those whose mode is {@code cdc} are
     *              refreshed from changes, the others only get a status entry
     * @param modes mode name of each tview (by tview name); absent means {@code cdc}
     */
    public RefreshPipeline(List<RefreshPlan> plans, Map<String, String> modes, Refresher refresher, PostgresSessions sessions,
                           RefreshConfig config, DaemonMetrics metrics, Retry retry) {
        this.refresher = refresher;
        this.recovery = new Recovery(sessions, config);
        this.quarantineRetry = config.quarantineRetry();
        this.plans = List.copyOf(plans);
        plans.forEach(p -> this.modes.put(p.tview().name(), modes.getOrDefault(p.tview().name(), MODE)));
        this.mapper = cdcMapper();
        this.metrics = metrics;
        this.retry = retry;
        for (RefreshPlan p : plans) {
            status.put(p.tview().name(), newStatus(p, modes.getOrDefault(p.tview().name(), MODE)));
        }
    }

    private TviewStatus newStatus(RefreshPlan p, String mode) {
        TviewStatus s = new TviewStatus(p, mode);
        metrics.health(s.name(), () -> s.quarantined ? 1 : 0, () -> s.owedReason != null ? 1 : 0);
        return s;
    }

    /**
     * Applies new plans between two batches (the catalog changed while running): tviews in {@code replaced} and new
     * ones get a fresh status, dropped ones lose theirs, the others keep theirs. The caller then owes the replaced and
     * new ones a full refresh, which covers what the old plans mapped wrongly or missed.
     *
     * @return the statuses of the tviews dropped
     */
    public List<TviewStatus> replan(List<RefreshPlan> newPlans, Map<String, String> newModes, java.util.Set<String> replaced) {
        synchronized (batchLock) {
            Map<String, TviewStatus> next = new LinkedHashMap<>();
            for (RefreshPlan p : newPlans) {
                String name = p.tview().name();
                TviewStatus old = status.get(name);
                String mode = newModes.getOrDefault(name, MODE);
                next.put(name, old != null && !replaced.contains(name) ? old : newStatus(p, mode));
            }
            List<TviewStatus> dropped = status.values().stream().filter(s -> !next.containsKey(s.name())).toList();
            modes.clear();
            next.values().forEach(s -> modes.put(s.name(), s.mode()));
            plans = newPlans.stream().map(p -> next.get(p.tview().name()).plan()).toList();
            status = next;
            mapper = cdcMapper();
            // its prepared statements were built from the old plans
            refresher.close();
            return dropped;
        }
    }

    /** Status of every tview, by name, in refresh order. */
    public Map<String, TviewStatus> status() {
        return status;
    }

    /** Every plan, in refresh order (dependencies first). */
    public List<RefreshPlan> plans() {
        return status.values().stream().map(TviewStatus::plan).toList();
    }

    public long changesConsumed() {
        return changesConsumed.get();
    }

    /** Rows written or deleted by refresh (content changes only). */
    public long rowsRefreshed() {
        return rowsRefreshed.get();
    }

    public long lagMillis() {
        return lagMillis;
    }

    /** Highest source LSN handled so far, or -1. */
    public long lastLsn() {
        return lastLsn.get();
    }

    /**
     * The mapper of the cdc-mode plans; the refresher gets their readers. A cdc tview that reads only cdc tviews maps by
     * level: base-table changes below the tviews it reads reach it as their row changes, carried on by the refresher in
     * the same transaction ({@link KeyMapper#carriedTo}).
     */
    private KeyMapper cdcMapper() {
        List<RefreshPlan> cdc = plans.stream().filter(p -> MODE.equals(modes.get(p.tview().name()))).toList();
        refresher.readers(new Readers(cdc, p -> KeyMapper.carriedTo(p, cdc)));
        return new KeyMapper(cdc);
    }

    /**
     * Applies a tview's new mode between two batches.
     *
     * @return the highest source LSN handled under the old mode: later changes are handled under the new one
     */
    long setMode(String tview, String mode) {
        synchronized (batchLock) {
            TviewStatus s = status.get(tview);
            if (s == null) {
                return lastLsn.get();   // dropped by a re-plan meanwhile
            }
            modes.put(tview, mode);
            s.mode = mode;
            mapper = cdcMapper();
            return lastLsn.get();
        }
    }

    @Override
    public void handle(ChangeBatch batch) throws Exception {
        synchronized (batchLock) {
            handleLocked(batch);
        }
    }

    private void handleLocked(ChangeBatch batch) throws Exception {
        Map<TableName, Integer> perTable = new LinkedHashMap<>();
        for (RowChange c : batch.changes()) {
            perTable.merge(c.table(), 1, Integer::sum);
        }
        perTable.forEach(metrics::changesConsumed);
        KeyMapper.Mapped mapped = mapper.map(batch.changes());
        if (mapped.unmappable() > 0) {
            LOG.warn("{} changes in this batch carried no value for their mapping columns (check replica identity)",
                    mapped.unmappable());
        }
        mapped.ignoredPerTable().forEach((tview, tables) -> tables.forEach((table, n) -> {
            metrics.changesIgnored(tview, table, n);
            status.get(tview).changesIgnoredPerTable.computeIfAbsent(table, k -> new AtomicLong()).addAndGet(n);
        }));
        mapped.keysPerTable().forEach((tview, tables) -> tables.forEach((table, n) -> {
            metrics.keysMapped(tview, table, n);
            status.get(tview).keysMappedPerTable.computeIfAbsent(table, k -> new AtomicLong()).addAndGet(n);
        }));
        List<RefreshRequest> requests = new ArrayList<>();
        for (RefreshRequest r : mapped.requests()) {
            if (!status.get(r.tview().name()).quarantined) {
                // a quarantined tview's keys are covered by the full refresh it is owed
                requests.add(r);
            }
        }
        if (!requests.isEmpty()) {
            java.util.Set<Long> xids = new java.util.HashSet<>();
            batch.changes().forEach(ch -> xids.add(ch.txId()));
            List<RefreshResult> results = retry.call("refresh of " + requests.size() + " tviews",
                    () -> refresher.refresh(requests, xids),
                    e -> e instanceof SQLException s && Refresher.isRetriable(s));
            record(results);
        }
        if (refresher.takeInterruptedWithDebts()) {
            // a failed try committed part of its work: the tviews it would have carried changes on to are owed now
            loadOwed();
        }
        recoverOwed(false);
        changesConsumed.addAndGet(batch.changes().size());
        if (batch.lastLsn() >= 0) {
            lastLsn.accumulateAndGet(batch.lastLsn(), Math::max);
        }
        if (!batch.changes().isEmpty()) {
            lagMillis = batch.sourceLagMillis();
        }
        metrics.batch(batch.changes().size(), batch.changes().isEmpty() ? -1 : batch.sourceLagMillis());
    }

    /** Takes over the debts stored by earlier runs (the daemon pays them with {@link #recoverOwed} before streaming). */
    public void loadOwed() throws SQLException {
        Map<String, OwedRefreshes.Owed> owed = recovery.read();
        for (TviewStatus s : status.values()) {
            OwedRefreshes.Owed o = owed.get(s.plan().tview().table().toString());
            if (o != null) {
                s.owedReason = o.reason();
                s.owedSince = o.since();
                LOG.warn("Tview {} is owed a full refresh since {}: {}", s.name(), o.since(), o.reason());
            }
        }
    }

    /** Stores that these tviews (and every tview reading them) are owed a full refresh, then marks them. */
    public void owe(List<Tview> tviews, String reason) throws SQLException {
        Map<String, String> reasons = new LinkedHashMap<>();
        tviews.forEach(t -> reasons.put(t.table().toString(), reason));
        oweWithReaders(reasons);
    }

    private void oweWithReaders(Map<String, String> reasons) throws SQLException {
        java.util.Set<TableName> owedTables = new java.util.HashSet<>();
        Map<String, String> all = new LinkedHashMap<>();
        for (TviewStatus s : status.values()) {
            Tview t = s.plan().tview();
            String reason = reasons.get(t.table().toString());
            if (reason == null) {
                TableName read = t.dependsOn().stream().filter(owedTables::contains).findFirst().orElse(null);
                if (read == null) {
                    continue;
                }
                reason = "reads " + read + ", which is owed a full refresh";
            }
            owedTables.add(t.table());
            all.put(t.table().toString(), reason);
        }
        recovery.owe(all);
        Instant now = Instant.now();
        for (TviewStatus s : status.values()) {
            String reason = all.get(s.plan().tview().table().toString());
            if (reason != null) {
                if (s.owedReason == null) {
                    s.owedSince = now;
                }
                s.owedReason = reason;
            }
        }
    }

    /**
     * Pays what is owed, in refresh order, each tview by a chunked diff refresh: a quarantined tview only when its
     * retry is due (or {@code now}), a tview reading one still owed only after it. A tview that fails stays owed
     * and is quarantined.
     */
    public void recoverOwed(boolean now) throws Exception {
        if (status.values().stream().noneMatch(s -> s.owedReason != null)) {
            return;
        }
        boolean retryDue = now || System.currentTimeMillis() >= nextQuarantineRetry;
        boolean retried = false;
        java.util.Set<TableName> stillOwed = new java.util.HashSet<>();
        for (TviewStatus s : status.values()) {
            Tview t = s.plan().tview();
            if (s.owedReason == null) {
                continue;
            }
            if ("manual".equals(s.mode()) || (s.quarantined && !retryDue) || t.dependsOn().stream().anyMatch(stillOwed::contains)) {
                stillOwed.add(t.table());
                continue;
            }
            retried |= s.quarantined;
            long start = System.nanoTime();
            RefreshResult result;
            try {
                TviewPopulator.Result r = retry.call("recovery of " + t.name(), () -> recovery.recover(refresher, t),
                        e -> e instanceof SQLException x && Refresher.isRetriable(x));
                result = new RefreshResult(t, true, r.rows(), r.written(), r.deleted(), Math.max(0, r.rows() - r.written()),
                        System.nanoTime() - start, null);
                LOG.info("Tview {}: full refresh owed since {} done in {} ms, in chunks ({} rows, {} written, {} deleted)",
                        s.name(), s.owedSince, (System.nanoTime() - start) / 1_000_000, r.rows(), r.written(), r.deleted());
                s.owedReason = null;
                s.owedSince = null;
            } catch (SQLException e) {
                if (Refresher.isRetriable(e)) {
                    throw e;
                }
                stillOwed.add(t.table());
                result = new RefreshResult(t, true, 0, 0, 0, 0, System.nanoTime() - start, e instanceof RefreshFailedException
                        ? e.getMessage()
                        : "chunked full refresh of " + t.table() + " from " + t.sourceView() + " failed: " + e.getMessage()
                                + " (SQLState " + e.getSQLState() + ")");
            }
            metrics.refreshed(result, s.mode());
            apply(s, result, Instant.now());
        }
        if (retried) {
            nextQuarantineRetry = System.currentTimeMillis() + quarantineRetry.toMillis();
        }
    }

    /** Records results of refreshes driven elsewhere (scheduled runs) in the same status and metrics. */
    public void recordExternal(List<RefreshResult> results, String mode) throws SQLException {
        for (RefreshResult r : results) {
            TviewStatus s = status.get(r.tview().name());
            if (s == null || !s.plan().tview().equals(r.tview())) {
                continue;   // re-planned meanwhile: the new plan's status owes its own full refresh
            }
            metrics.refreshed(r, mode);
            apply(s, r, Instant.now());
        }
    }

    private void record(List<RefreshResult> results) throws SQLException {
        Instant now = Instant.now();
        for (RefreshResult r : results) {
            metrics.refreshed(r, MODE);
            apply(status.get(r.tview().name()), r, now);
        }
    }

    private void apply(TviewStatus s, RefreshResult r, Instant now) throws SQLException {
        if (r.failed()) {
            s.failures.incrementAndGet();
            if (s.owedReason == null && !ScheduledRefresher.MODE.equals(s.mode())) {
                // (a scheduled tview's next run is its recovery.) Stored before this batch is acknowledged: the keys it drops are never lost, even across a restart
                oweWithReaders(Map.of(s.plan().tview().table().toString(), "quarantined: " + r.error()));
            }
            if (!s.quarantined) {
                LOG.error("Tview {} quarantined: {}. Other tviews keep refreshing; a chunked full refresh is retried every {} ms",
                        s.name(), r.error(), quarantineRetry.toMillis());
            }
            s.quarantined = true;
            s.lastError = r.error();
            s.lastErrorAt = now;
            return;
        }
        if (s.quarantined) {
            LOG.info("Tview {} recovered from quarantine", s.name());
            s.quarantined = false;
        }
        s.batches.incrementAndGet();
        s.keysRecomputed.addAndGet(r.keys());
        s.rowsWritten.addAndGet(r.written());
        s.rowsDeleted.addAndGet(r.deleted());
        s.noopSkipped.addAndGet(r.unchanged());
        if (r.full()) {
            s.fullRefreshes.incrementAndGet();
        }
        s.lastRefreshAt = now;
        s.lastRefreshMillis = r.nanos() / 1_000_000;
        rowsRefreshed.addAndGet(r.written() + r.deleted());
    }
}
