package io.tviewd.daemon.pipeline;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import io.tviewd.connectors.TableName;
import io.tviewd.connectors.postgres.catalog.BaseTable;
import io.tviewd.connectors.postgres.plan.KeyMapping;
import io.tviewd.connectors.postgres.plan.RefreshPlan;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Live status of one tview for the API: plan, last refresh, last error and counters (like pg_tviews'
 * {@code tviews.stats}). Written by the refresh thread, read by HTTP handlers; fields are atomic
 * or volatile, so readers see a recent, possibly not mutually consistent, picture.
 */
public final class TviewStatus {

    private final RefreshPlan plan;
    volatile String mode;
    final AtomicLong batches = new AtomicLong();
    final AtomicLong keysRecomputed = new AtomicLong();
    final AtomicLong rowsWritten = new AtomicLong();
    final AtomicLong rowsDeleted = new AtomicLong();
    final AtomicLong noopSkipped = new AtomicLong();
    final AtomicLong fullRefreshes = new AtomicLong();
    final AtomicLong failures = new AtomicLong();
    final Map<TableName, AtomicLong> keysMappedPerTable = new ConcurrentHashMap<>();
    /** Updates that changed no column the tview reads, so they mapped to nothing. */
    final Map<TableName, AtomicLong> changesIgnoredPerTable = new ConcurrentHashMap<>();
    volatile Instant lastRefreshAt;
    volatile long lastRefreshMillis = -1;
    volatile String lastError;
    volatile Instant lastErrorAt;
    volatile boolean quarantined;
    /** Why a full refresh is owed (persisted in {@code tviewd.owed_refresh}), or null; and since when. */
    volatile String owedReason;
    volatile Instant owedSince;
    /** Scheduled mode only: interval, next run, last run's duration, rows changed and outcome. */
    volatile io.tviewd.config.Schedule schedule;
    volatile Instant nextRunAt;
    volatile long lastRunMillis = -1;
    volatile long lastRunRowsChanged = -1;
    volatile String lastRunOutcome;

    public TviewStatus(RefreshPlan plan, String mode) {
        this.plan = plan;
        this.mode = mode;
    }

    public RefreshPlan plan() {
        return plan;
    }

    public String mode() {
        return mode;
    }

    public String name() {
        return plan.tview().name();
    }

    /** Recomputed keys whose row was already up to date. */
    public long noopSkipped() {
        return noopSkipped.get();
    }

    /** Full refreshes run (reconcile, quarantine recovery, full_refresh policy). */
    public long fullRefreshes() {
        return fullRefreshes.get();
    }

    public boolean quarantined() {
        return quarantined;
    }

    public String lastError() {
        return lastError;
    }

    /** Why the tview is owed a full refresh, or null when it owes nothing. */
    public String owedReason() {
        return owedReason;
    }

    public JsonObject toJson() {
        JsonArray bases = new JsonArray();
        for (BaseTable b : plan.tview().baseTables()) {
            JsonArray mappings = mappingsJson(plan.mappingsFor(b.name()));
            AtomicLong mapped = keysMappedPerTable.get(b.name());
            AtomicLong ignored = changesIgnoredPerTable.get(b.name());
            Set<String> read = plan.readColumns().get(b.name());
            bases.add(new JsonObject()
                    .put("table", b.name().toString())
                    .put("replicaIdentity", b.replicaIdentityName())
                    .put("mappings", mappings)
                    .put("mapped", !plan.unmapped().contains(b.name()))
                    .put("keysMapped", mapped == null ? 0 : mapped.get())
                    .put("readColumns", read == null ? null : new JsonArray(List.copyOf(read)))
                    .put("changesIgnored", ignored == null ? 0 : ignored.get()));
        }
        JsonArray tviewsRead = new JsonArray();
        plan.tviewMappings().forEach((table, ms) -> tviewsRead.add(new JsonObject().put("table", table.toString())
                .put("mappings", mappingsJson(ms))));
        return new JsonObject()
                .put("name", name())
                .put("table", plan.tview().table().toString())
                .put("sourceView", plan.tview().sourceView().toString())
                .put("key", plan.tview().keyColumn())
                .put("keyType", plan.tview().keyType())
                .put("mode", mode)
                .put("baseTables", bases)
                .put("dependsOn", new JsonArray(plan.tview().dependsOn().stream().map(TableName::toString).toList()))
                .put("tviewsRead", tviewsRead)
                .put("mapsByLevel", plan.byLevel())
                .put("lastRefreshAt", lastRefreshAt == null ? null : lastRefreshAt.toString())
                .put("lastRefreshDurationMs", lastRefreshMillis < 0 ? null : lastRefreshMillis)
                .put("lastError", lastError)
                .put("lastErrorAt", lastErrorAt == null ? null : lastErrorAt.toString())
                .put("quarantined", quarantined)
                .put("owedFullRefresh", owedReason == null ? null : new JsonObject().put("reason", owedReason)
                        .put("since", owedSince == null ? null : owedSince.toString()))
                .put("warnings", new JsonArray(plan.warnings()))
                .put("schedule", schedule == null ? null : new JsonObject()
                        .put("spec", schedule.toString())
                        .put("intervalMs", schedule.interval() == null ? null : schedule.interval().toMillis())
                        .put("nextRunAt", nextRunAt == null ? null : nextRunAt.toString())
                        .put("lastRunDurationMs", lastRunMillis < 0 ? null : lastRunMillis)
                        .put("lastRunRowsChanged", lastRunRowsChanged < 0 ? null : lastRunRowsChanged)
                        .put("lastRunOutcome", lastRunOutcome))
                .put("counters", new JsonObject()
                        .put("batches", batches.get())
                        .put("recomputes", keysRecomputed.get())
                        .put("rowsWritten", rowsWritten.get())
                        .put("rowsDeleted", rowsDeleted.get())
                        .put("noopSkipped", noopSkipped.get())
                        .put("noopRatio", keysRecomputed.get() == 0 ? null : (double) noopSkipped.get() / keysRecomputed.get())
                        .put("changesIgnored", changesIgnoredPerTable.values().stream().mapToLong(AtomicLong::get).sum())
                        .put("fullRefreshes", fullRefreshes.get())
                        .put("failures", failures.get()));
    }

    private static JsonArray mappingsJson(List<KeyMapping> ms) {
        JsonArray out = new JsonArray();
        for (KeyMapping m : ms) {
            JsonObject mj = new JsonObject().put("kind", m.kind()).put("column", m.rowColumn());
            if (m instanceof KeyMapping.Path p) {
                mj.put("path", p.describe());
            }
            out.add(mj);
        }
        return out;
    }
}
