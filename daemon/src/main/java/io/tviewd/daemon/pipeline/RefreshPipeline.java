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

import io.tviewd.connectors.ChangeBatch;
import io.tviewd.connectors.ChangeHandler;
import io.tviewd.connectors.RowChange;
import io.tviewd.connectors.TableName;
import io.tviewd.connectors.postgres.catalog.Tview;
import io.tviewd.connectors.postgres.plan.RefreshPlan;
import io.tviewd.connectors.postgres.refresh.RefreshCause;
import io.tviewd.connectors.postgres.refresh.RefreshRequest;
import io.tviewd.connectors.postgres.refresh.RefreshResult;
import io.tviewd.connectors.postgres.refresh.Refresher;
import io.tviewd.daemon.metrics.DaemonMetrics;
import io.tviewd.daemon.retry.Retry;

/**
 * The CDC driver of refresh: maps each batch of changes to tview keys, coalesces them, and
 * recomputes them in one transaction (one statement per tview). Returns only after that
 * transaction committed, so the change source may then advance its offset.
 *
 * <p>A tview whose refresh fails for a non-transient reason (a poisoned view) is quarantined: its
 * last error is shown in the API, other tviews keep refreshing, and a full refresh of it is retried
 * at most every {@code refresh.quarantine-retry} until it succeeds. Transient failures (connection loss,
 * deadlock) retry the whole batch with backoff; when retries run out the exception stops the source.
 *
 * <p>Threading: {@link #handle} runs on the change source's thread, one batch at a time.
 */
public final class RefreshPipeline implements ChangeHandler {

    private static final Logger LOG = LoggerFactory.getLogger(RefreshPipeline.class);
    static final String MODE = "cdc";

    private final Refresher refresher;
    private volatile KeyMapper mapper;
    private final List<RefreshPlan> plans;
    private final Map<String, String> modes = new java.util.concurrent.ConcurrentHashMap<>();
    /** Held while a batch is mapped and refreshed, and while modes change: a mode applies between batches. */
    private final Object batchLock = new Object();
    private final Map<String, TviewStatus> status = new LinkedHashMap<>();
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
    public RefreshPipeline(List<RefreshPlan> plans, Map<String, String> modes, Refresher refresher, DaemonMetrics metrics,
                           Retry retry, Duration quarantineRetry) {
        this.refresher = refresher;
        this.quarantineRetry = quarantineRetry;
        this.plans = List.copyOf(plans);
        plans.forEach(p -> this.modes.put(p.tview().name(), modes.getOrDefault(p.tview().name(), MODE)));
        this.mapper = cdcMapper();
        this.metrics = metrics;
        this.retry = retry;
        for (RefreshPlan p : plans) {
            status.put(p.tview().name(), new TviewStatus(p, modes.getOrDefault(p.tview().name(), MODE)));
        }
    }

    /** The pipeline's own convenience for all-cdc setups (tests). */
    public RefreshPipeline(List<RefreshPlan> plans, Refresher refresher, DaemonMetrics metrics, Retry retry, Duration quarantineRetry) {
        this(plans, Map.of(), refresher, metrics, retry, quarantineRetry);
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

    private KeyMapper cdcMapper() {
        return new KeyMapper(plans.stream().filter(p -> MODE.equals(modes.get(p.tview().name()))).toList());
    }

    /**
     * Applies a tview's new mode between two batches.
     *
     * @return the highest source LSN handled under the old mode: later changes are handled under the new one
     */
    long setMode(String tview, String mode) {
        synchronized (batchLock) {
            modes.put(tview, mode);
            status.get(tview).mode = mode;
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
        List<RefreshRequest> requests = withQuarantineRetries(mapped.requests());
        if (!requests.isEmpty()) {
            java.util.Set<Long> xids = new java.util.HashSet<>();
            batch.changes().forEach(ch -> xids.add(ch.txId()));
            List<RefreshResult> results = retry.call("refresh of " + requests.size() + " tviews",
                    () -> refresher.refresh(requests, xids),
                    e -> e instanceof SQLException s && Refresher.isRetriable(s));
            record(results);
        }
        changesConsumed.addAndGet(batch.changes().size());
        if (batch.lastLsn() >= 0) {
            lastLsn.accumulateAndGet(batch.lastLsn(), Math::max);
        }
        if (!batch.changes().isEmpty()) {
            lagMillis = batch.sourceLagMillis();
        }
        metrics.batch(batch.changes().size(), batch.changes().isEmpty() ? -1 : batch.sourceLagMillis());
    }

    /**
     * Runs a full refresh of every tview outside the change stream (first start, new publication
     * tables): converges tviews to their views before streaming resumes.
     */
    public void reconcileAll() throws Exception {
        List<RefreshRequest> requests = new ArrayList<>();
        for (TviewStatus s : status.values()) {
            if (MODE.equals(s.mode())) {
                requests.add(RefreshRequest.full(s.plan().tview(), RefreshCause.of("reconcile")));
            }
        }
        if (requests.isEmpty()) {
            return;
        }
        List<RefreshResult> results = retry.call("reconcile of " + requests.size() + " tviews",
                () -> refresher.refresh(requests), e -> e instanceof SQLException s && Refresher.isRetriable(s));
        record(results);
    }

    private List<RefreshRequest> withQuarantineRetries(List<RefreshRequest> requests) {
        List<Tview> quarantined = status.values().stream().filter(s -> s.quarantined() && MODE.equals(s.mode()))
                .map(s -> s.plan().tview()).toList();
        if (quarantined.isEmpty()) {
            return requests;
        }
        boolean retryNow = System.currentTimeMillis() >= nextQuarantineRetry;
        List<RefreshRequest> out = new ArrayList<>();
        for (RefreshRequest r : requests) {
            if (!quarantined.contains(r.tview())) {
                out.add(r);
            }
        }
        if (retryNow) {
            nextQuarantineRetry = System.currentTimeMillis() + quarantineRetry.toMillis();
            // keep refresh order: quarantined tviews go where their plan puts them
            List<RefreshRequest> ordered = new ArrayList<>();
            for (TviewStatus s : status.values()) {
                if (!MODE.equals(s.mode())) {
                    continue;
                }
                Tview t = s.plan().tview();
                if (quarantined.contains(t)) {
                    ordered.add(RefreshRequest.full(t, RefreshCause.of(MODE)));
                } else {
                    out.stream().filter(r -> r.tview().equals(t)).forEach(ordered::add);
                }
            }
            return ordered;
        }
        return out;
    }

    /** Records results of refreshes driven elsewhere (scheduled runs) in the same status and metrics. */
    public void recordExternal(List<RefreshResult> results, String mode) {
        for (RefreshResult r : results) {
            metrics.refreshed(r, mode);
            apply(status.get(r.tview().name()), r, Instant.now());
        }
    }

    private void record(List<RefreshResult> results) {
        Instant now = Instant.now();
        for (RefreshResult r : results) {
            metrics.refreshed(r, MODE);
            apply(status.get(r.tview().name()), r, now);
        }
    }

    private void apply(TviewStatus s, RefreshResult r, Instant now) {
        if (r.failed()) {
            s.failures.incrementAndGet();
            if (!s.quarantined) {
                LOG.error("Tview {} quarantined: {}. Other tviews keep refreshing; a full refresh is retried every {} ms",
                        s.name(), r.error(), quarantineRetry.toMillis());
            }
            s.quarantined = true;
            s.lastError = r.error();
            s.lastErrorAt = now;
            return;
        }
        if (s.quarantined) {
            LOG.info("Tview {} recovered: full refresh succeeded", s.name());
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
