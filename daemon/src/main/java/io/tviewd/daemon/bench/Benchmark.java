package io.tviewd.daemon.bench;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import io.tviewd.config.DatabaseConfig;
import io.tviewd.config.Secret;
import io.tviewd.connectors.postgres.PostgresSessions;
import io.tviewd.daemon.demo.EmbeddedDatabase;
import io.tviewd.daemon.demo.SqlScripts;

/**
 * {@code tviewd bench}: builds the blog data set, then measures side by side in one run, on one database: writers
 * with no refresh, with FraiseQL-style row triggers, with tviewd in cdc mode (events on, then off) and in trigger
 * mode; freshness from an independent probe idle and at fixed rates; the hot-author storm; a backlog catch-up;
 * daemon CPU and heap; start-up time. Writes {@code BENCHMARKS.md} and a CSV (see {@link Report}).
 *
 * <p>The daemon runs as a child process of the same jar, so its CPU and heap are its own. Numbers are measurements,
 * never assertions: nothing here fails because a target is missed.
 */
public final class Benchmark {

    /** What to run. {@code rates} are the fixed total write rates of the freshness runs (the mix, 8 writers). */
    public record Options(double scale, Duration duration, Duration warmup, Duration storm, long backlog, List<Integer> rates,
                          DatabaseConfig database, Path jar, Path markdown, Path csv, Path logDir, java.util.Set<Phase> phases) {
    }

    /** The parts of a run ({@code --phases}); a partial run's report leaves the others' cells empty. */
    public enum Phase {
        /** Writers with no refresh. */
        NONE,
        /** Writers with FraiseQL-style row triggers. */
        FRAISEQL,
        /** Writers at full speed with tviewd in cdc mode. */
        CDC_WRITERS,
        /** Freshness with no other writes. */
        IDLE,
        /** Freshness at the fixed rates. */
        RATES,
        /** The W4 storm, events on. */
        STORM,
        /** The mix at 1,000/s and the storm again with events off. */
        EVENTS_OFF,
        /** Catching up on a backlog made while the daemon is down. */
        BACKLOG,
        /** Writers with tviewd's trigger mode. */
        TRIGGER,
        /** The ClickHouse sink: backfill rows/s and commit → ClickHouse freshness at 1,000 writes/s (needs clickhouse-server). */
        CLICKHOUSE;

        /** The name on the command line: {@code cdc-writers}. */
        public String cli() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    private boolean runs(Phase p) {
        return options.phases().contains(p);
    }

    private static final int[] WRITERS = {1, 8};

    /** How long a run may take to converge before the daemon is restarted on a fresh slot (its backlog dropped). */
    private static final Duration CONVERGE_CAP = Duration.ofMinutes(1);

    private final Options options;
    private final Consumer<String> log;
    private final Report report;
    private StatementProfile statements;
    private WarmUp warmUp;

    public Benchmark(Options options, Consumer<String> log) {
        this.options = options;
        this.log = log;
        this.report = new Report(options);
    }

    /** Runs every phase and writes the report; returns it. */
    public Report run() throws Exception {
        EmbeddedDatabase embedded = null;
        DatabaseConfig db = options.database();
        try {
            if (db.isEmbedded()) {
                log.accept("Starting an embedded PostgreSQL (fsync on, synchronous_commit on) …");
                // the embedded server runs with fsync off unless told otherwise (zonky passes -F); the bench measures a
                // durable server, as production runs one
                embedded = EmbeddedDatabase.start(Map.of("fsync", "on", "shared_buffers", "512MB", "max_wal_size", "4GB",
                        "shared_preload_libraries", "pg_stat_statements", "pg_stat_statements.track", "all"));
                db = new DatabaseConfig(embedded.jdbcUrl(), "postgres", Secret.of(""));
                EmbeddedDatabase server = embedded;
                // stopped with the benchmark (Ctrl-C) too: a server left running would skew the next run
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        server.close();
                    } catch (java.io.IOException | RuntimeException e) {
                        System.err.println("Could not stop the embedded PostgreSQL: " + e.getMessage());
                    }
                }, "tviewd-bench-stop-postgres"));
            }
            PostgresSessions sessions = new PostgresSessions(db);
            Dataset data = Dataset.at(options.scale());
            report.dataset(data);
            try (Connection c = sessions.openApplication("tviewd-bench")) {
                report.server(text(c, "SELECT version()"), text(c, "SHOW fsync"), text(c, "SHOW synchronous_commit"));
                log.accept("Building the data set: " + data + " …");
                long t0 = System.nanoTime();
                data.create(c);
                log.accept(String.format("  built in %.1f s", (System.nanoTime() - t0) / 1e9));
            }
            Writers writers = new Writers(sessions, data);
            warmUp = new WarmUp(options, writers, report, log);
            statements = new StatementProfile(sessions, options.logDir());
            // the report is rewritten after every phase: an interrupted run still leaves what it measured.
            // Freshness (idle, fixed rates, storm) and ClickHouse are measured first, on the data set as built: the
            // full-speed phases write millions of rows, and freshness measured after them measured their aftermath
            // (BENCHMARKS.md, notes of 2026-12-03).
            try (Probe probe = new Probe(sessions, data)) {
                freshness(db, sessions, writers, probe);
                report.write();
                if (runs(Phase.CLICKHOUSE)) {
                    new ClickHouseRun(options, report, log).run(db, sessions, data, writers, warmUp);
                    report.write();
                }
                // the phases without a daemon would leave it a slot holding every change they make: the full-speed
                // cdc runs would start minutes behind
                RunningDaemon.dropSlots(sessions);
                if (runs(Phase.NONE)) {
                    baseline(writers);
                    report.write();
                }
                if (runs(Phase.FRAISEQL)) {
                    fraiseql(sessions, writers);
                    report.write();
                }
                if (runs(Phase.CDC_WRITERS)) {
                    cdcWriters(db, sessions, writers, probe);
                    report.write();
                }
                if (runs(Phase.BACKLOG)) {
                    backlog(db, sessions, probe);
                    report.write();
                }
            }
            if (runs(Phase.TRIGGER)) {
                trigger(db, writers);
                report.write();
            }
            log.accept("Wrote " + options.markdown() + " and " + options.csv());
            return report;
        } finally {
            if (embedded != null) {
                embedded.close();
            }
        }
    }

    private void baseline(Writers writers) throws Exception {
        for (Workload w : Workload.values()) {
            for (int n : WRITERS) {
                Writers.Result r = writers.run(w, n, 0, options.duration());
                report.writers("none", w, n, r, Percentiles.NONE, Double.NaN, Double.NaN);
                log.accept(String.format("no refresh      %-3s %d writers: %8.0f writes/s", w, n, r.tps()) + r.retriesText());
            }
        }
    }

    private void fraiseql(PostgresSessions sessions, Writers writers) throws Exception {
        try (Connection c = sessions.openApplication("tviewd-bench")) {
            SqlScripts.run(c, "/bench/fraiseql-triggers.sql", Map.of());
            try {
                for (Workload w : Workload.values()) {
                    for (int n : WRITERS) {
                        Writers.Result r = writers.run(w, n, 0, options.duration());
                        report.writers("fraiseql-triggers", w, n, r, Percentiles.NONE, Double.NaN, Double.NaN);
                        log.accept(String.format("fraiseql rows   %-3s %d writers: %8.0f writes/s", w, n, r.tps()) + r.retriesText());
                    }
                }
            } finally {
                SqlScripts.run(c, "/bench/fraiseql-triggers-drop.sql", Map.of());
            }
        }
    }

    /**
     * Freshness in cdc mode: the first start (it creates the slot), idle, the fixed-rate ladder and the storm with
     * events on; then a restart with events off (restart → ready) for the mix at 1,000/s and the storm again.
     */
    private void freshness(DatabaseConfig db, PostgresSessions sessions, Writers writers, Probe probe) throws Exception {
        log.accept("Starting tviewd (cdc, events on; first start creates the slot and reconciles tv_post) …");
        try (RunningDaemon daemon = cdcDaemon(db, sessions, true)) {
            report.firstStart(daemon.get().readyMillis());
            warmUp.run(daemon.get(), probe);
            if (runs(Phase.IDLE)) {
                List<Double> idle = new ArrayList<>();
                for (int i = 0; i < 200; i++) {
                    idle.add(probe.once(Duration.ofSeconds(30)));
                    Thread.sleep(20);
                }
                report.idle(Percentiles.of(idle));
                log.accept("freshness idle: " + Figures.ms(Percentiles.of(idle)));
            }
            for (int rate : runs(Phase.RATES) ? options.rates() : List.<Integer>of()) {
                Run r = measured("cdc", daemon, probe, writers, Workload.MIX, 8, rate, options.duration());
                report.rate(rate, r.writes, r.freshness, r.converge, r.cpu, true);
                if (r.freshness.p99() >= 1000 || r.writes.tps() < 0.9 * rate) {
                    break;
                }
            }
            if (runs(Phase.STORM)) {
                Run storm = measured("cdc", daemon, probe, writers, Workload.W4, 1, 0, options.storm());
                report.storm(true, storm.writes, storm.freshness, storm.converge, storm.cpu);
            }
            report.heap("cdc, events on", daemon.heapMax());
        }
        if (!runs(Phase.EVENTS_OFF)) {
            return;
        }
        log.accept("Restarting tviewd with events off (slot and tviews exist) …");
        try (RunningDaemon daemon = cdcDaemon(db, sessions, false)) {
            report.restart(daemon.get().readyMillis());
            warmUp.run(daemon.get(), probe);
            int rate = options.rates().contains(1000) ? 1000 : options.rates().get(0);
            Run r = measured("cdc-events-off", daemon, probe, writers, Workload.MIX, 8, rate, options.duration());
            report.rate(rate, r.writes, r.freshness, r.converge, r.cpu, false);
            Run storm = measured("cdc-events-off", daemon, probe, writers, Workload.W4, 1, 0, options.storm());
            report.storm(false, storm.writes, storm.freshness, storm.converge, storm.cpu);
            report.heap("cdc, events off", daemon.heapMax());
        }
    }

    /** A daemon in cdc mode (the default), with events on or off. */
    private RunningDaemon cdcDaemon(DatabaseConfig db, PostgresSessions sessions, boolean events) throws Exception {
        return new RunningDaemon(options.jar(), options.logDir(), db, sessions, Map.of("TVIEWD_EVENTS_ENABLED", Boolean.toString(events)));
    }

    /** Every workload at full writer speed, 1 and 8 writers, with tviewd in cdc mode (events on). */
    private void cdcWriters(DatabaseConfig db, PostgresSessions sessions, Writers writers, Probe probe) throws Exception {
        log.accept("Starting tviewd (cdc, events on) for the full-speed writers …");
        try (RunningDaemon daemon = cdcDaemon(db, sessions, true)) {
            warmUp.run(daemon.get(), probe);
            for (Workload w : Workload.values()) {
                for (int n : WRITERS) {
                    Run r = measured("cdc", daemon, probe, writers, w, n, 0, options.duration());
                    // the writers table compares these runs (the storm, also W4 with one writer, has its own table)
                    report.writers("cdc", w, n, r.writes, r.freshness, r.converge, r.cpu);
                }
            }
            report.heap("cdc, events on", daemon.heapMax());
        }
    }

    /** A backlog of {@code options.backlog} comment updates made while the daemon is down, then caught up. */
    private void backlog(DatabaseConfig db, PostgresSessions sessions, Probe probe) throws Exception {
        long n = options.backlog();
        log.accept(String.format("Backlog: %,d row changes while tviewd is down …", n));
        try (Connection c = sessions.openApplication("tviewd-bench"); Statement s = c.createStatement()) {
            long max = Long.parseLong(text(c, "SELECT max(pk_comment) FROM tb_comment"));
            long done = 0;
            long chunk = 50_000;
            while (done < n) {
                long size = Math.min(chunk, n - done);
                long from = 1 + done % max;
                long to = Math.min(max, from + size - 1);
                done += s.executeUpdate("UPDATE tb_comment SET body = body || '.' WHERE pk_comment BETWEEN " + from + " AND " + to);
            }
        }
        long t0 = System.nanoTime();
        try (DaemonUnderTest daemon = DaemonUnderTest.start(options.jar(), db, Map.of("TVIEWD_EVENTS_ENABLED", "true"),
                options.logDir()); HeapWatch heap = new HeapWatch(daemon)) {
            double cpu0 = daemon.cpuSeconds();
            double caughtUp = probe.once(Duration.ofMinutes(30));
            double total = (System.nanoTime() - t0) / 1e9;
            report.backlog(n, daemon.readyMillis(), total, daemon.cpuSeconds() - cpu0, heap.maxMb());
            log.accept(String.format("  ready in %d ms, caught up %.1f s after start (probe %.0f ms), heap max %.0f MB",
                    daemon.readyMillis(), total, caughtUp, heap.maxMb()));
        }
    }

    private void trigger(DatabaseConfig db, Writers writers) throws Exception {
        log.accept("Cutover of tv_post to trigger mode …");
        try (DaemonUnderTest daemon = DaemonUnderTest.start(options.jar(), db, Map.of(), options.logDir())) {
            int code = cli(db, "cutover", "tv_post", "--to", "trigger");
            if (code != 0) {
                throw new IllegalStateException("cutover to trigger failed with exit code " + code + "; see " + options.logDir());
            }
        }
        // the daemon is stopped: the writers pay only for the triggers
        for (Workload w : Workload.values()) {
            for (int n : WRITERS) {
                Writers.Result r = writers.run(w, n, 0, options.duration());
                report.writers("tviewd-trigger", w, n, r, Percentiles.NONE, Double.NaN, Double.NaN);
                log.accept(String.format("tviewd trigger  %-3s %d writers: %8.0f writes/s", w, n, r.tps()) + r.retriesText());
            }
        }
    }

    /** What one measured run gave. */
    private record Run(Writers.Result writes, Percentiles freshness, double converge, double cpu) {
    }

    private Run measured(String mode, RunningDaemon running, Probe probe, Writers writers, Workload w, int n, double rate,
                         Duration duration) throws Exception {
        DaemonUnderTest daemon = running.get();
        double cpu0 = daemon.cpuSeconds();
        if (!daemon.isAlive()) {
            throw new IllegalStateException("the daemon under test exited; its log: " + daemon.log());
        }
        Writers.Result r;
        List<Double> lag;
        statements.reset();
        try (Probe.Sampler sampler = probe.sample(Duration.ofMillis(100))) {
            r = writers.run(w, n, rate, duration);
            lag = sampler.stop();
        }
        statements.write(mode + "-" + w + "-" + n + (rate > 0 ? "-at-" + (int) rate : ""));
        long t0 = System.nanoTime();
        double seen = probe.once(CONVERGE_CAP);
        double converge = seen >= CONVERGE_CAP.toMillis() ? Double.POSITIVE_INFINITY : (System.nanoTime() - t0) / 1e6;
        double cpu = daemon.cpuSeconds() - cpu0;
        if (!daemon.isAlive()) {
            // it died under this load (the report says so); the next run gets a fresh one
            log.accept("  the daemon exited during this run (see " + daemon.log() + ")");
            report.died(mode, w, n, daemon.log().getFileName().toString());
            converge = Double.POSITIVE_INFINITY;
        }
        Percentiles p = Percentiles.of(lag);
        log.accept(String.format("%-15s %-3s %d writers%s: %8.0f writes/s, freshness %s, converged %s after, daemon CPU %.1f s",
                mode, w, n, rate > 0 ? " at " + (int) rate + "/s" : "", r.tps(), Figures.ms(p), Figures.msText(converge), cpu));
        if (Double.isInfinite(converge)) {
            log.accept("  not converged within " + CONVERGE_CAP.toSeconds() + " s: restarting tviewd on a fresh slot for the next run");
            running.reset();
            // a fresh daemon is cold again: warm it up before the next run measures it
            warmUp.run(running.get(), probe);
        }
        return new Run(r, p, converge, cpu);
    }

    private int cli(DatabaseConfig db, String... args) throws Exception {
        return DaemonUnderTest.cli(options.jar(), db, Map.of(), options.logDir(), args).code();
    }

    private static String text(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
