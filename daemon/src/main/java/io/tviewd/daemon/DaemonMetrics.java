package io.tviewd.daemon;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tviewd.connectors.TableName;
import io.tviewd.connectors.postgres.RefreshResult;

/**
 * The daemon's meters, all under prefix {@code tviewd}, each with a description and tags.
 * Scraped in Prometheus format at {@code GET /metrics}.
 */
public final class DaemonMetrics {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicLong lagMillis = new AtomicLong(-1);
    private final AtomicLong lastBatchSize = new AtomicLong();

    public DaemonMetrics() {
        Gauge.builder("tviewd.cdc.lag", lagMillis, AtomicLong::get).baseUnit("milliseconds")
                .description("Commit time of the newest change in the last batch to its refresh (-1 before the first change)")
                .register(registry);
        Gauge.builder("tviewd.cdc.batch.size", lastBatchSize, AtomicLong::get)
                .description("Changes in the last batch").register(registry);
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    public String scrape() {
        return registry.scrape();
    }

    /** One gauge per (tview, base table, mapping kind) of the refresh plan, value 1: the plan as metrics. */
    void plan(io.tviewd.connectors.postgres.RefreshPlan plan, String mode) {
        mode(plan.tview().name(), mode);
        plan.mappings().forEach((table, mappings) -> mappings.stream().map(m -> m.kind()).distinct().forEach(kind ->
                Gauge.builder("tviewd.tview.mapping", () -> 1).description("Key mappings of the refresh plan, by base table and kind")
                        .tag("tview", plan.tview().name()).tag("table", table.toString()).tag("kind", kind).register(registry)));
        plan.unmapped().forEach(table -> Gauge.builder("tviewd.tview.mapping", () -> 1)
                .description("Key mappings of the refresh plan, by base table and kind")
                .tag("tview", plan.tview().name()).tag("table", table.toString()).tag("kind", "unmapped").register(registry));
    }

    /** (Re)tags the tview's mode gauge: the gauge of its previous mode goes away. */
    void mode(String tview, String mode) {
        registry.find("tviewd.tview.mode").tag("tview", tview).gauges().forEach(registry::remove);
        Gauge.builder("tviewd.tview.mode", () -> 1).description("The tview's refresh mode (value 1; the mode is the tag)")
                .tag("tview", tview).tag("mode", mode).register(registry);
    }

    /** Gauges of a tview's schedule (NaN while it is not scheduled). */
    void schedule(TviewStatus s) {
        String tview = s.name();
        Gauge.builder("tviewd.schedule.next.run", s, x -> x.nextRunAt == null ? Double.NaN : x.nextRunAt.toEpochMilli() / 1000.0)
                .baseUnit("seconds").description("Scheduled mode: when the next run starts (Unix time)").tag("tview", tview).register(registry);
        Gauge.builder("tviewd.schedule.last.run.duration", s, x -> x.lastRunMillis < 0 ? Double.NaN : x.lastRunMillis)
                .baseUnit("milliseconds").description("Scheduled mode: duration of the last run").tag("tview", tview).register(registry);
        Gauge.builder("tviewd.schedule.last.run.rows.changed", s, x -> x.lastRunRowsChanged < 0 ? Double.NaN : x.lastRunRowsChanged)
                .description("Scheduled mode: rows written or deleted by the last run").tag("tview", tview).register(registry);
        Gauge.builder("tviewd.schedule.last.run.failed", s, x -> x.lastRunOutcome == null ? Double.NaN : x.lastRunOutcome.equals("ok") ? 0 : 1)
                .description("Scheduled mode: 1 when the last run failed, 0 when it succeeded").tag("tview", tview).register(registry);
    }

    void changesConsumed(TableName table, int n) {
        Counter.builder("tviewd.cdc.changes").description("Base-table changes consumed from the change stream")
                .tag("table", table.toString()).register(registry).increment(n);
    }

    void batch(int size, long lag) {
        lastBatchSize.set(size);
        if (lag >= 0) {
            lagMillis.set(lag);
        }
    }

    void keysMapped(String tview, TableName table, int n) {
        Counter.builder("tviewd.tview.keys.mapped").description("Tview keys mapped from changes of a base table")
                .tag("tview", tview).tag("table", table.toString()).register(registry).increment(n);
    }

    void refreshed(RefreshResult r, String mode) {
        String tview = r.tview().name();
        if (r.failed()) {
            Counter.builder("tviewd.refresh.failures").description("Refreshes of a tview that failed (tview quarantined)")
                    .tag("tview", tview).tag("mode", mode).register(registry).increment();
            return;
        }
        rows(tview, mode, "written", r.written());
        rows(tview, mode, "deleted", r.deleted());
        rows(tview, mode, "unchanged", r.unchanged());
        if (r.full()) {
            Counter.builder("tviewd.refresh.full").description("Full refreshes of a tview (truncate, reconcile, recovery)")
                    .tag("tview", tview).tag("mode", mode).register(registry).increment();
        }
        Timer.builder("tviewd.refresh.duration").description("Time to refresh one tview within one batch")
                .tag("tview", tview).tag("mode", mode).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry).record(Duration.ofNanos(r.nanos()));
    }

    private void rows(String tview, String mode, String outcome, long n) {
        Counter.builder("tviewd.refresh.rows")
                .description("Tview rows recomputed, by outcome: written (content changed), deleted, unchanged (no-op skipped)")
                .tag("tview", tview).tag("mode", mode).tag("outcome", outcome).register(registry).increment(n);
    }
}
