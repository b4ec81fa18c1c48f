package io.tviewd.daemon.metrics;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmCompilationMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tviewd.connectors.TableName;
import io.tviewd.connectors.postgres.refresh.RefreshResult;

/**
 * The daemon's meters, all under prefix {@code tviewd}, each with a description and tags.
 * Scraped in Prometheus format at {@code GET /metrics}.
 */
public final class DaemonMetrics {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicLong lagMillis = new AtomicLong(-1);
    private final AtomicLong lastBatchSize = new AtomicLong();
    private volatile boolean eventsOn;

    public DaemonMetrics() {
        Gauge.builder("tviewd.cdc.lag", lagMillis, AtomicLong::get).baseUnit("milliseconds")
                .description("Commit time of the newest change in the last batch to its refresh (-1 before the first change)")
                .register(registry);
        Gauge.builder("tviewd.cdc.batch.size", lastBatchSize, AtomicLong::get)
                .description("Changes in the last batch").register(registry);
        // heap, threads, JIT compilation time and CPU of the daemon process (jvm_memory_used_bytes,
        // jvm_compilation_time_ms_total, process_cpu_usage, …): right after a start the JIT compiler takes a core
        new JvmMemoryMetrics().bindTo(registry);
        new JvmCompilationMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    public String scrape() {
        return registry.scrape();
    }

    /** One gauge per (tview, base table, mapping kind) of the refresh plan, value 1: the plan as metrics. */
    public void plan(io.tviewd.connectors.postgres.plan.RefreshPlan plan, String mode) {
        mode(plan.tview().name(), mode);
        plan.mappings().forEach((table, mappings) -> mappings.stream().map(m -> m.kind()).distinct().forEach(kind ->
                Gauge.builder("tviewd.tview.mapping", () -> 1).description("Key mappings of the refresh plan, by base table and kind")
                        .tag("tview", plan.tview().name()).tag("table", table.toString()).tag("kind", kind).register(registry)));
        plan.unmapped().forEach(table -> Gauge.builder("tviewd.tview.mapping", () -> 1)
                .description("Key mappings of the refresh plan, by base table and kind")
                .tag("tview", plan.tview().name()).tag("table", table.toString()).tag("kind", "unmapped").register(registry));
    }

    /** 1 while the tview is quarantined (its refresh fails), and 1 while it is owed a full refresh (stale until paid). */
    public void health(String tview, Supplier<Number> quarantined, Supplier<Number> owed) {
        // a re-planned tview gets a new status: its gauges must read that one
        registry.find("tviewd.tview.quarantined").tag("tview", tview).gauges().forEach(registry::remove);
        registry.find("tviewd.tview.owed").tag("tview", tview).gauges().forEach(registry::remove);
        Gauge.builder("tviewd.tview.quarantined", quarantined).description("1 while the tview is quarantined: its refresh fails")
                .tag("tview", tview).register(registry);
        Gauge.builder("tviewd.tview.owed", owed)
                .description("1 while the tview is owed a full refresh (persisted; its rows may be stale until it is paid)")
                .tag("tview", tview).register(registry);
    }

    /** (Re)tags the tview's mode gauge: the gauge of its previous mode goes away. */
    public void mode(String tview, String mode) {
        registry.find("tviewd.tview.mode").tag("tview", tview).gauges().forEach(registry::remove);
        Gauge.builder("tviewd.tview.mode", () -> 1).description("The tview's refresh mode (value 1; the mode is the tag)")
                .tag("tview", tview).tag("mode", mode).register(registry);
    }

    /**
     * Gauges of a tview's schedule, read from its status: the suppliers answer NaN while the tview is not
     * scheduled (next run in Unix seconds, last run duration in ms, rows changed, 1 when the last run failed).
     */
    public void schedule(String tview, Supplier<Number> nextRunAt, Supplier<Number> lastRunMillis, Supplier<Number> lastRunRowsChanged,
                         Supplier<Number> lastRunFailed) {
        Gauge.builder("tviewd.schedule.next.run", nextRunAt)
                .baseUnit("seconds").description("Scheduled mode: when the next run starts (Unix time)").tag("tview", tview).register(registry);
        Gauge.builder("tviewd.schedule.last.run.duration", lastRunMillis)
                .baseUnit("milliseconds").description("Scheduled mode: duration of the last run").tag("tview", tview).register(registry);
        Gauge.builder("tviewd.schedule.last.run.rows.changed", lastRunRowsChanged)
                .description("Scheduled mode: rows written or deleted by the last run").tag("tview", tview).register(registry);
        Gauge.builder("tviewd.schedule.last.run.failed", lastRunFailed)
                .description("Scheduled mode: 1 when the last run failed, 0 when it succeeded").tag("tview", tview).register(registry);
    }

    /** A logical message with the daemon's prefix that an event stream skipped: {@code malformed} or {@code forged}. */
    public void eventMessageRejected(String stream, String kind) {
        Counter.builder("tviewd.events.rejected").description("Logical messages with the tviewd prefix skipped as malformed or forged")
                .tag("stream", stream).tag("reason", kind).register(registry).increment();
    }

    public void changesConsumed(TableName table, int n) {
        Counter.builder("tviewd.cdc.changes").description("Base-table changes consumed from the change stream")
                .tag("table", table.toString()).register(registry).increment(n);
    }

    public void batch(int size, long lag) {
        lastBatchSize.set(size);
        if (lag >= 0) {
            lagMillis.set(lag);
        }
    }

    public void keysMapped(String tview, TableName table, int n) {
        Counter.builder("tviewd.tview.keys.mapped").description("Tview keys mapped from changes of a base table")
                .tag("tview", tview).tag("table", table.toString()).register(registry).increment(n);
    }

    /** Updates of a base table that changed no column the tview reads: they mapped to no key. */
    public void changesIgnored(String tview, TableName table, int n) {
        Counter.builder("tviewd.tview.changes.ignored").description("Base-table updates that changed no column the tview reads (mapped to no key)")
                .tag("tview", tview).tag("table", table.toString()).register(registry).increment(n);
    }

    /** Whether refreshes emit events (events.enabled), so {@link #refreshed} counts them. */
    public void eventsEnabled(boolean on) {
        eventsOn = on;
    }

    public void refreshed(RefreshResult r, String mode) {
        String tview = r.tview().name();
        if (eventsOn) {
            eventsEmitted(r, mode);
        }
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

    /** Events the daemon's own refreshes emitted (one per row written or deleted). */
    private void eventsEmitted(RefreshResult r, String mode) {
        if (!r.failed() && r.written() + r.deleted() > 0) {
            Counter.builder("tviewd.events.emitted").description("Refresh events emitted by this daemon's refreshes (trigger-mode writers emit theirs in the database)")
                    .tag("tview", r.tview().name()).tag("mode", mode).register(registry).increment(r.written() + r.deleted());
        }
    }

    public void eventsReceived(String stream, int n) {
        Counter.builder("tviewd.events.received").description("Refresh events read back from the WAL, by event stream")
                .tag("stream", stream).register(registry).increment(n);
    }

    /** Events read back by one stream so far. */
    public long eventsReceived(String stream) {
        Counter c = registry.find("tviewd.events.received").tag("stream", stream).counter();
        return c == null ? 0 : (long) c.count();
    }

    public void eventsDelivered(String sink, int n) {
        Counter.builder("tviewd.events.delivered").description("Refresh events delivered (acknowledged for kafka), by sink")
                .tag("sink", sink).register(registry).increment(n);
    }

    /** An event the sink refused for good (too large, a topic it does not allow): skipped. */
    public void eventRefused(String sink) {
        Counter.builder("tviewd.events.refused").description("Events a sink refused for good (too large, invalid topic) and that were skipped")
                .tag("sink", sink).register(registry).increment();
    }

    public void sinkError(String sink) {
        Counter.builder("tviewd.events.delivery.errors").description("Failed deliveries of an event batch to a sink")
                .tag("sink", sink).register(registry).increment();
    }

    public void sinkRetry(String sink) {
        Counter.builder("tviewd.events.delivery.retries").description("Retried deliveries of an event batch to a sink")
                .tag("sink", sink).register(registry).increment();
    }

    /** One insert ClickHouse acknowledged: rows, bytes and, per row, commit of its refresh → the acknowledgement. */
    public void clickhouseInserted(String tview, int rows, long bytes, long[] lagMillis) {
        Counter.builder("tviewd.clickhouse.rows").description("Rows ClickHouse acknowledged (tombstones included), by tview")
                .tag("tview", tview).register(registry).increment(rows);
        Counter.builder("tviewd.clickhouse.inserts").description("Inserts (batches) ClickHouse acknowledged, by tview")
                .tag("tview", tview).register(registry).increment();
        Counter.builder("tviewd.clickhouse.bytes").baseUnit("bytes").description("JSONEachRow bytes ClickHouse acknowledged, by tview")
                .tag("tview", tview).register(registry).increment(bytes);
        io.micrometer.core.instrument.Timer lag = io.micrometer.core.instrument.Timer.builder("tviewd.clickhouse.lag")
                .description("Commit of the refresh transaction → ClickHouse acknowledged the row, by tview")
                .publishPercentiles(0.5, 0.99).tag("tview", tview).register(registry);
        for (long ms : lagMillis) {
            lag.record(java.time.Duration.ofMillis(Math.max(0, ms)));
        }
    }

    /** An insert into a tview's ClickHouse table failed (retried, or the sink stopped). */
    public void clickhouseFailed(String tview) {
        Counter.builder("tviewd.clickhouse.errors").description("Failed inserts into ClickHouse (each retried unless permanent), by tview")
                .tag("tview", tview).register(registry).increment();
    }

    public void sseClientDropped() {
        Counter.builder("tviewd.events.sse.clients.dropped").description("SSE clients disconnected for falling behind events.sse-client-buffer")
                .register(registry).increment();
    }

    /** Lag (seconds since the commit of the oldest unacknowledged event) and health (1 up, 0 degraded) of a durable sink. */
    public void sink(String sink, Supplier<Number> lagSeconds, Supplier<Number> up) {
        Gauge.builder("tviewd.events.sink.lag", lagSeconds).baseUnit("seconds")
                .description("Age (since commit) of the oldest event the sink has not acknowledged yet; 0 when none waits")
                .tag("sink", sink).register(registry);
        Gauge.builder("tviewd.events.sink.up", up)
                .description("1 while the sink acknowledges deliveries, 0 while it is degraded").tag("sink", sink).register(registry);
    }

    private void rows(String tview, String mode, String outcome, long n) {
        Counter.builder("tviewd.refresh.rows")
                .description("Tview rows recomputed, by outcome: written (content changed), deleted, unchanged (no-op skipped)")
                .tag("tview", tview).tag("mode", mode).tag("outcome", outcome).register(registry).increment(n);
    }
}
