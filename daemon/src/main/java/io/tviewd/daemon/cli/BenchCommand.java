package io.tviewd.daemon.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import io.tviewd.config.ConfigException;
import io.tviewd.config.ConfigLoader;
import io.tviewd.config.Durations;
import io.tviewd.config.TviewdConfig;
import io.tviewd.daemon.bench.Benchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tviewd bench}: the side-by-side benchmark on the blog data set (see {@link Benchmark}). */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmark writers and freshness with no refresh, FraiseQL row triggers, tviewd trigger and cdc modes; "
                + "writes BENCHMARKS.md and a CSV. Uses an embedded PostgreSQL unless database.url is set (the database must be empty).")
final class BenchCommand implements Callable<Integer> {

    @Option(names = "--scale", paramLabel = "X", defaultValue = "1.0",
            description = "Data set size: 1.0 = 10,000 users, 100,000 posts, 300,000 comments (default: ${DEFAULT-VALUE}).")
    double scale;

    @Option(names = "--duration", paramLabel = "DURATION", defaultValue = "20s", description = "Length of each measured run (default: ${DEFAULT-VALUE}).")
    String duration;

    @Option(names = "--warmup", paramLabel = "DURATION", defaultValue = "30s",
            description = "Least warm-up after each daemon start before measuring: the mix at the lowest rate, then until the daemon's JIT compiler settles, at most 4 times as long (default: ${DEFAULT-VALUE}).")
    String warmup;

    @Option(names = "--storm", paramLabel = "DURATION", defaultValue = "15s", description = "Length of the W4 storm (default: ${DEFAULT-VALUE}).")
    String storm;

    @Option(names = "--backlog", paramLabel = "N", defaultValue = "1000000",
            description = "Row changes made while the daemon is down, then caught up (default: ${DEFAULT-VALUE}).")
    long backlog;

    @Option(names = "--rates", paramLabel = "N,N,…", split = ",", defaultValue = "500,1000,2000,3000,4000",
            description = "Fixed total write rates of the freshness runs, tried in order until p99 ≥ 1 s (default: ${DEFAULT-VALUE}).")
    List<Integer> rates;

    @Option(names = "--out", paramLabel = "FILE", defaultValue = "BENCHMARKS.md", description = "Markdown report (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--csv", paramLabel = "FILE", defaultValue = "BENCHMARKS.csv", description = "CSV of every run (default: ${DEFAULT-VALUE}).")
    Path csv;

    @Option(names = "--jar", paramLabel = "FILE", description = "The tviewd jar run as the daemon (default: the running jar).")
    Path jar;

    @Option(names = "--phases", paramLabel = "PHASE,…", split = ",",
            defaultValue = "none,fraiseql,cdc-writers,idle,rates,storm,events-off,backlog,clickhouse,trigger",
            description = "Parts to run (default: all): ${DEFAULT-VALUE}.")
    List<String> phases;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "Optional YAML file; only database.* is used.")
    Path config;

    @Override
    public Integer call() throws Exception {
        Benchmark.Options options;
        try {
            List<String> problems = new ArrayList<>();
            TviewdConfig cfg = ConfigLoader.load(config, System.getenv());
            if (!(scale > 0 && scale <= 100)) {
                problems.add("Invalid value '" + scale + "' for '--scale': must be above 0 and at most 100");
            }
            if (backlog < 0) {
                problems.add("Invalid value '" + backlog + "' for '--backlog': must be 0 or more");
            }
            if (rates.isEmpty() || rates.stream().anyMatch(r -> r < 1 || r > 1_000_000)) {
                problems.add("Invalid value '" + rates + "' for '--rates': each must be between 1 and 1000000");
            }
            Duration d = parse("--duration", duration, problems);
            Duration w = parse("--warmup", warmup, problems);
            Duration s = parse("--storm", storm, problems);
            java.util.Set<Benchmark.Phase> chosen = java.util.EnumSet.noneOf(Benchmark.Phase.class);
            for (String name : phases) {
                java.util.Optional<Benchmark.Phase> p = java.util.Arrays.stream(Benchmark.Phase.values())
                        .filter(x -> x.cli().equals(name.trim())).findFirst();
                if (p.isPresent()) {
                    chosen.add(p.get());
                } else {
                    problems.add("Invalid value '" + name + "' for '--phases': expected some of "
                            + java.util.Arrays.stream(Benchmark.Phase.values()).map(Benchmark.Phase::cli).toList());
                }
            }
            Path j = jar != null ? jar : runningJar();
            if (j == null || !Files.isRegularFile(j)) {
                problems.add("Invalid value '" + j + "' for '--jar': must be the tviewd jar (build it with ./mvnw package)");
            }
            if (!problems.isEmpty()) {
                throw new ConfigException(problems);
            }
            Path logs = Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir"), "tviewd-bench-" + ProcessHandle.current().pid()));
            options = new Benchmark.Options(scale, d, w, s, backlog, List.copyOf(rates), cfg.database(), j, out, csv, logs, chosen);
            System.out.println("Daemon logs in " + logs);
        } catch (ConfigException e) {
            System.err.println(e.getMessage());
            return Main.EXIT_CONFIG;
        }
        new Benchmark(options, System.out::println).run();
        return Main.EXIT_OK;
    }

    private static Duration parse(String key, String text, List<String> problems) {
        try {
            return Durations.parse(key, text);
        } catch (ConfigException e) {
            problems.addAll(e.problems());
            return Duration.ZERO;
        }
    }

    /** The jar this command runs from, or target/tviewd.jar beside the classes when run from a build tree. */
    private static Path runningJar() {
        try {
            Path here = Path.of(BenchCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (Files.isRegularFile(here)) {
                return here;
            }
            Path built = here.getParent().resolve("tviewd.jar");
            return Files.isRegularFile(built) ? built : null;
        } catch (java.net.URISyntaxException | RuntimeException e) {
            return null;
        }
    }
}
