package io.tviewd.daemon.bench;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.tviewd.config.DatabaseConfig;
import io.tviewd.connectors.postgres.PostgresSessions;

/**
 * The benchmark's ClickHouse phase, on a private {@code clickhouse-server} ({@link LocalClickHouse}) with tv_post
 * forwarded: {@code tviewd clickhouse backfill tv_post} (rows/s as the command reports them), then the daemon with the
 * sink and the mix at 1,000 writes/s (or the lowest {@code --rates} above it) while a probe measures commit → the
 * document visible in ClickHouse (the newest version of its key, what a {@code FINAL} read returns). Skipped, and the report says so, when the machine has no server.
 */
final class ClickHouseRun {

    private static final Pattern BACKFILLED = Pattern.compile("Backfilled ([\\d,]+) rows of tv_post in ([\\d.]+) s");
    private static final String DATABASE = "bench";

    private final Benchmark.Options options;
    private final Report report;
    private final Consumer<String> log;

    ClickHouseRun(Benchmark.Options options, Report report, Consumer<String> log) {
        this.options = options;
        this.report = report;
        this.log = log;
    }

    /**
     * Waits (at most {@link #SETTLE_CAP}) until ClickHouse merges no parts: the two copies of the data set just written
     * (the backfill and the sink's own first copy) leave merges that take most of a core for a minute or more, which a
     * server in steady state does not have. The measurement is of the sink, not of those merges.
     */
    private void settle(LocalClickHouse clickhouse) throws Exception {
        long t0 = System.nanoTime();
        while (System.nanoTime() - t0 < SETTLE_CAP.toNanos() && !"0".equals(clickhouse.query("SELECT count() FROM system.merges").strip())) {
            Thread.sleep(500);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        boolean settled = "0".equals(clickhouse.query("SELECT count() FROM system.merges").strip());
        log.accept(String.format("  ClickHouse merges %s after %.0f s", settled ? "done" : "still running", seconds));
        report.clickhouseSettled(seconds, settled);
    }

    private static final Duration SETTLE_CAP = Duration.ofMinutes(2);

    void run(DatabaseConfig db, PostgresSessions sessions, Dataset data, Writers writers, WarmUp warmUp) throws Exception {
        if (!LocalClickHouse.available()) {
            log.accept("ClickHouse phase skipped: no clickhouse-server binary (apt-get install clickhouse-server)");
            report.clickhouseSkipped("no clickhouse-server on this machine (apt-get install clickhouse-server)");
            return;
        }
        try (LocalClickHouse clickhouse = LocalClickHouse.start(options.logDir())) {
            Map<String, String> settings = Map.of("TVIEWD_EVENTS_ENABLED", "true", "TVIEWD_CLICKHOUSE_URL", clickhouse.url(),
                    "TVIEWD_CLICKHOUSE_USER", LocalClickHouse.USER, "TVIEWD_CLICKHOUSE_PASSWORD", LocalClickHouse.PASSWORD,
                    "TVIEWD_CLICKHOUSE_DATABASE", DATABASE, "TVIEWD_CLICKHOUSE_TVIEWS", "tv_post");
            log.accept("ClickHouse " + clickhouse.query("SELECT version()").strip() + ": backfill of tv_post …");
            DaemonUnderTest.CliRun backfill = DaemonUnderTest.cli(options.jar(), db, settings, options.logDir(), "clickhouse", "backfill", "tv_post");
            Matcher m = BACKFILLED.matcher(backfill.output());
            if (backfill.code() != 0 || !m.find()) {
                throw new IllegalStateException("tviewd clickhouse backfill failed with exit code " + backfill.code() + "; see " + backfill.log());
            }
            long rows = Long.parseLong(m.group(1).replace(",", ""));
            double seconds = Double.parseDouble(m.group(2));
            report.clickhouseBackfill(rows, seconds);
            log.accept(String.format("  %,d rows in %.1f s: %,.0f rows/s", rows, seconds, rows / seconds));

            int rate = options.rates().stream().filter(r -> r >= 1000).findFirst().orElse(options.rates().get(0));
            try (DaemonUnderTest daemon = DaemonUnderTest.start(options.jar(), db, settings, options.logDir());
                 Probe probe = new Probe(sessions, data, clickhouse, DATABASE)) {
                warmUp.run(daemon, null);
                // the sink's own first copy (its slot is new) and the warm-up's events are through before measuring
                probe.once(Duration.ofMinutes(5));
                settle(clickhouse);
                double cpu0 = daemon.cpuSeconds();
                double[] sink0 = daemon.clickhouseLag();
                Writers.Result r;
                List<Double> lag;
                try (Probe.Sampler sampler = probe.sample(Duration.ofMillis(100))) {
                    r = writers.run(Workload.MIX, 8, rate, options.duration());
                    lag = sampler.stop();
                }
                // the probe's figure is source commit → visible: the refresh's own lag plus the sink's; the sink's
                // part (refresh commit → acknowledged) as the daemon measures it, mean over this run
                double[] sink1 = daemon.clickhouseLag();
                report.clickhouseSinkLag((sink1[0] - sink0[0]) / (sink1[1] - sink0[1]), sink1[2], sink1[3]);
                long t0 = System.nanoTime();
                probe.once(Duration.ofMinutes(1));
                double converge = (System.nanoTime() - t0) / 1e6;
                Percentiles p = Percentiles.of(lag);
                report.clickhouseLive(rate, r, p, converge, daemon.cpuSeconds() - cpu0);
                log.accept(String.format("cdc+clickhouse  MIX 8 writers at %d/s: %8.0f writes/s, commit → ClickHouse %s, converged %s after",
                        rate, r.tps(), Figures.ms(p), Figures.msText(converge)));
            }
        }
    }
}
