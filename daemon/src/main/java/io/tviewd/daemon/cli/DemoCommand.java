package io.tviewd.daemon.cli;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import io.tviewd.config.ConfigException;
import io.tviewd.config.ConfigLoader;
import io.tviewd.config.DatabaseConfig;
import io.tviewd.config.Secret;
import io.tviewd.config.TviewdConfig;
import io.tviewd.connectors.postgres.PostgresSessions;
import io.tviewd.connectors.postgres.refresh.TviewComparison;
import io.tviewd.daemon.Daemon;
import io.tviewd.daemon.demo.BlogSchema;
import io.tviewd.daemon.demo.EmbeddedDatabase;
import io.tviewd.daemon.demo.SqlWorkload;
import io.tviewd.daemon.pipeline.RefreshPipeline;
import io.tviewd.daemon.pipeline.TviewStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tviewd demo}: the daemon in CDC mode on a blog schema with a steady stream of writes, live
 * progress on the console, and a final row-for-row comparison of every tview with its view.
 * Starts an embedded PostgreSQL when no database is configured.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the daemon on a sample blog with live writes; on an embedded PostgreSQL unless database.url is set.")
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--duration", paramLabel = "DURATION",
            description = "Stop after this long (e.g. 30s, 5m) and check every tview against its view; default: until Ctrl-C.")
    String duration;

    @Option(names = "--rate", paramLabel = "N", defaultValue = "200",
            description = "Target writes per second across all writers (default: ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--writers", paramLabel = "N", defaultValue = "2",
            description = "Concurrent writer connections (default: ${DEFAULT-VALUE}).")
    int writers;

    @Option(names = "--port", paramLabel = "PORT", description = "HTTP port (default: http.port, 8080; 0 picks a free one).")
    Integer port;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "Optional YAML configuration file.")
    Path config;

    @Override
    public Integer call() throws Exception {
        TviewdConfig cfg;
        Duration limit;
        try {
            cfg = ConfigLoader.load(config, System.getenv());
            limit = duration == null ? null : io.tviewd.config.Durations.parse("--duration", duration);
            List<String> problems = new ArrayList<>();
            if (rate < 1 || rate > 100_000) {
                problems.add("Invalid value '" + rate + "' for '--rate': must be between 1 and 100000");
            }
            if (writers < 1 || writers > 64) {
                problems.add("Invalid value '" + writers + "' for '--writers': must be between 1 and 64");
            }
            if (port != null && (port < 0 || port > 65_535)) {
                problems.add("Invalid value '" + port + "' for '--port': must be between 0 and 65535");
            }
            if (!problems.isEmpty()) {
                throw new ConfigException(problems);
            }
        } catch (ConfigException e) {
            System.err.println(e.getMessage());
            return Main.EXIT_CONFIG;
        }
        if (port != null) {
            cfg = cfg.withHttp(cfg.http().withPort(port));
        }
        EmbeddedDatabase embedded = null;
        try {
            if (cfg.database().isEmbedded()) {
                System.out.println("Starting embedded PostgreSQL 17 (wal_level=logical) …");
                embedded = EmbeddedDatabase.start();
                cfg = cfg.withDatabase(new DatabaseConfig(embedded.jdbcUrl(), "postgres", Secret.of("")));
                System.out.println("Embedded PostgreSQL at " + embedded.jdbcUrl());
            }
            return demo(cfg, limit);
        } finally {
            if (embedded != null) {
                embedded.close();
                System.out.println("Embedded PostgreSQL stopped.");
            }
        }
    }

    private int demo(TviewdConfig cfg, Duration limit) throws Exception {
        PostgresSessions sessions = new PostgresSessions(cfg.database());
        try (Connection c = sessions.openApplication("tviewd-demo")) {
            BlogSchema.create(c);
            BlogSchema.fill(c, 200, 1_000, 3_000);
        } catch (SQLException e) {
            System.err.println("tviewd demo: cannot create the blog schema in " + cfg.database().redactedUrl() + ": " + e.getMessage()
                    + " (demo needs an empty database)");
            return Main.EXIT_FAILURE;
        }
        System.out.println("Created blog schema: 200 users, 1000 posts, 3000 comments.");
        SignalLatch signals = new SignalLatch().install();
        try (Daemon daemon = new Daemon(cfg)) {
            daemon.start();
            System.out.printf("tviewd is streaming. Endpoints: http://%s:%d/health/ready  /metrics  /api/v1/tviews  /api/v1/events%n",
                    cfg.http().host(), daemon.httpPort());
            daemon.stopped().whenComplete((v, e) -> signals.release());
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong writeErrors = new AtomicLong();
            List<SqlWorkload> workloads = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < writers; i++) {
                SqlWorkload w = SqlWorkload.blog(sessions.openApplication("tviewd-demo-writer-" + i), 42 + i);
                workloads.add(w);
                Thread t = new Thread(() -> write(w, (double) rate / writers, stop, writeErrors), "demo-writer-" + i);
                threads.add(t);
                t.start();
            }
            long start = System.nanoTime();
            long lastChanges = 0;
            long lastRows = 0;
            long lastWrites = 0;
            long lastEvents = 0;
            while (true) {
                long elapsed = System.nanoTime() - start;
                long waitMs = 1000 - (elapsed / 1_000_000) % 1000;
                if (limit != null) {
                    waitMs = Math.min(waitMs, Math.max(0, limit.toMillis() - elapsed / 1_000_000));
                }
                if (signals.await(waitMs)) {
                    break;
                }
                elapsed = System.nanoTime() - start;
                RefreshPipeline p = daemon.pipeline();
                long writes = workloads.stream().mapToLong(SqlWorkload::writes).sum();
                long events = daemon.metrics().eventsReceived("live");
                System.out.printf("[%4ds] writes %5d/s  changes %5d/s  rows refreshed %5d/s  events %5d/s  lag %4d ms%n",
                        elapsed / 1_000_000_000, writes - lastWrites, p.changesConsumed() - lastChanges,
                        p.rowsRefreshed() - lastRows, events - lastEvents, Math.max(0, p.lagMillis()));
                lastEvents = events;
                lastWrites = writes;
                lastChanges = p.changesConsumed();
                lastRows = p.rowsRefreshed();
                if (limit != null && elapsed >= limit.toNanos()) {
                    break;
                }
            }
            stop.set(true);
            for (Thread t : threads) {
                t.join();
            }
            for (SqlWorkload w : workloads) {
                w.connection().close();
            }
            if (daemon.stopped().isCompletedExceptionally()) {
                System.err.println("tviewd demo: stopped: " + RunCommand.rootMessage(daemon.stopped()));
                return Main.EXIT_FAILURE;
            }
            long writes = workloads.stream().mapToLong(SqlWorkload::writes).sum();
            System.out.printf("Writers stopped after %d writes (%d rejected as conflicts between writers). Waiting for tviews to converge …%n",
                    writes, writeErrors.get());
            return converge(sessions, daemon);
        }
    }

    private static void write(SqlWorkload w, double perSecond, AtomicBoolean stop, AtomicLong errors) {
        long intervalNanos = (long) (1_000_000_000L / perSecond);
        long next = System.nanoTime();
        while (!stop.get()) {
            try {
                w.step();
            } catch (SQLException e) {
                if (!SqlWorkload.isExpectedConflict(e)) {
                    System.err.println("demo writer stopped: " + e.getMessage());
                    return;
                }
                errors.incrementAndGet();
            }
            next += intervalNanos;
            long sleep = next - System.nanoTime();
            if (sleep > 0) {
                try {
                    Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            } else {
                next = System.nanoTime();
            }
        }
    }

    /** Polls until every tview equals its view (or 60 s pass), then prints the verdict. */
    private static int converge(PostgresSessions sessions, Daemon daemon) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        long t0 = System.nanoTime();
        List<TviewComparison.Drift> drifts;
        try (Connection c = sessions.openApplication("tviewd-demo-check")) {
            while (true) {
                drifts = new ArrayList<>();
                for (TviewStatus s : daemon.pipeline().status().values()) {
                    drifts.add(TviewComparison.compare(c, s.plan().tview(), 10));
                }
                boolean equal = drifts.stream().allMatch(TviewComparison.Drift::none);
                if (equal || System.nanoTime() > deadline || daemon.stopped().isDone()) {
                    break;
                }
                Thread.sleep(200);
            }
        }
        boolean ok = true;
        System.out.printf("Summary: %d changes consumed, %d tview rows refreshed; converged check took %d ms%n",
                daemon.pipeline().changesConsumed(), daemon.pipeline().rowsRefreshed(), (System.nanoTime() - t0) / 1_000_000);
        for (TviewComparison.Drift d : drifts) {
            if (d.none()) {
                System.out.printf("  OK    %-12s %6d rows = %s%n", d.tview().name(), d.tviewRows(), d.tview().sourceView());
            } else {
                ok = false;
                System.out.printf("  DRIFT %-12s %6d rows vs %d in %s; differing keys: %s%n", d.tview().name(), d.tviewRows(),
                        d.viewRows(), d.tview().sourceView(), d.keys());
            }
        }
        System.out.println(ok ? "Every tview equals its source view." : "Some tviews differ from their views.");
        return ok ? Main.EXIT_OK : Main.EXIT_DRIFT;
    }
}
