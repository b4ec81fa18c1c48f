package io.tviewd.daemon.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.tviewd.config.DatabaseConfig;

/**
 * {@code tviewd run} in a child process ({@code java -Xmx512m -jar tviewd.jar run}), so its CPU time and heap are
 * measured apart from the benchmark's own: CPU from {@code /proc/<pid>/stat}, heap from its {@code /metrics}.
 */
final class DaemonUnderTest implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final long CLOCK_TICKS = 100;
    /** {@code TVIEWD_BENCH_DAEMON_JAVA_OPTS}: JVM options added to the daemon's, split on spaces. */
    static final List<String> EXTRA_JAVA_OPTIONS = java.util.Arrays.stream(
            System.getenv().getOrDefault("TVIEWD_BENCH_DAEMON_JAVA_OPTS", "").trim().split("\\s+")).filter(o -> !o.isEmpty()).toList();

    private final Process process;
    private final int port;
    private final Path log;
    private final long readyMillis;
    private volatile double lastCpu;
    /** Stops the child when the benchmark itself is stopped (Ctrl-C): a child left running would skew the next run. */
    private final Thread onExit;

    private DaemonUnderTest(Process process, Thread onExit, int port, Path log, long readyMillis) {
        this.process = process;
        this.onExit = onExit;
        this.port = port;
        this.log = log;
        this.readyMillis = readyMillis;
    }

    /** Starts the daemon with {@code TVIEWD_*} settings and waits (up to 5 minutes) until {@code /health/ready} answers 200. */
    static DaemonUnderTest start(Path jar, DatabaseConfig db, Map<String, String> settings, Path logDir) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Files.createDirectories(logDir);
        Path log = logDir.resolve("daemon-" + System.currentTimeMillis() + ".log");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-XX:+UseG1GC", "-XX:+HeapDumpOnOutOfMemoryError", "-XX:HeapDumpPath=" + logDir));
        // extra JVM options of the daemon under test, for experiments (e.g. -XX:TieredStopAtLevel=1); the report names them
        cmd.addAll(EXTRA_JAVA_OPTIONS);
        cmd.addAll(List.of("-jar", jar.toString(), "run"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = environment(pb, db);
        env.put("TVIEWD_HTTP_PORT", Integer.toString(port));
        env.put("TVIEWD_LOG_LEVEL", "WARN");
        env.putAll(settings);
        long t0 = System.nanoTime();
        Process p = pb.start();
        Thread onExit = new Thread(p::destroyForcibly, "tviewd-bench-stop-daemon");
        Runtime.getRuntime().addShutdownHook(onExit);
        long deadline = t0 + TimeUnit.MINUTES.toNanos(5);
        while (true) {
            if (!p.isAlive()) {
                throw new IllegalStateException("the daemon exited with " + p.exitValue() + " before it was ready; its log: " + log);
            }
            if (status(port, "/health/ready") == 200) {
                break;
            }
            if (System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new IllegalStateException("the daemon was not ready within 5 minutes; its log: " + log);
            }
            Thread.sleep(20);
        }
        return new DaemonUnderTest(p, onExit, port, log, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    /** The child's environment: only the benchmark's database among the {@code TVIEWD_*} variables. */
    static Map<String, String> environment(ProcessBuilder pb, DatabaseConfig db) {
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("TVIEWD_"));
        env.put("TVIEWD_DATABASE_URL", db.url());
        env.put("TVIEWD_DATABASE_USER", db.user());
        env.put("TVIEWD_DATABASE_PASSWORD", db.password().reveal());
        return env;
    }

    /** What a CLI run printed (its log file) and its exit code. */
    record CliRun(int code, Path log) {
        String output() throws IOException {
            return Files.readString(log);
        }
    }

    /** Runs {@code tviewd <args>} in a child process with the benchmark's database and extra {@code TVIEWD_*} settings. */
    static CliRun cli(Path jar, DatabaseConfig db, Map<String, String> settings, Path logDir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString()));
        cmd.addAll(List.of(args));
        Path log = logDir.resolve("cli-" + System.currentTimeMillis() + ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        environment(pb, db).putAll(settings);
        Process p = pb.start();
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException("tviewd " + String.join(" ", args) + " did not finish within 10 minutes; see " + log);
        }
        return new CliRun(p.exitValue(), log);
    }

    /** From process start to the first 200 of {@code /health/ready}. */
    long readyMillis() {
        return readyMillis;
    }

    int port() {
        return port;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** User + system CPU seconds of the daemon process so far (its last reading once it exited). */
    double cpuSeconds() throws IOException {
        if (!process.isAlive()) {
            return lastCpu;
        }
        String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // fields 14 and 15 of stat (utime, stime) are the 12th and 13th after the command name
        lastCpu = (Long.parseLong(f[11]) + Long.parseLong(f[12])) / (double) CLOCK_TICKS;
        return lastCpu;
    }

    /** Heap in use (MB) as the daemon's metrics report it, or NaN when they cannot be read. */
    double heapMb() {
        return sum("jvm_memory_used_bytes{", "area=\"heap\"") / (1024 * 1024);
    }

    /** Milliseconds the daemon's JIT compiler has worked since its start, or NaN when its metrics cannot be read. */
    double compileMillis() {
        return sum("jvm_compilation_time_ms_total", "");
    }

    /**
     * The daemon's ClickHouse sink lag ({@code tviewd_clickhouse_lag_seconds}: commit of the refresh transaction →
     * acknowledged by ClickHouse): its sum and count of seconds so far, then its p50 and p99 over Micrometer's recent
     * window (about two minutes); NaN when unreadable.
     */
    double[] clickhouseLag() {
        return new double[] {sum("tviewd_clickhouse_lag_seconds_sum", ""), sum("tviewd_clickhouse_lag_seconds_count", ""),
            sum("tviewd_clickhouse_lag_seconds{", "quantile=\"0.5\""), sum("tviewd_clickhouse_lag_seconds{", "quantile=\"0.99\"")};
    }

    /** The sum of the daemon's metric samples whose line starts with {@code name} and contains {@code tag}; NaN when unreadable. */
    private double sum(String name, String tag) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            double total = 0;
            boolean seen = false;
            for (String line : r.body().split("\n")) {
                if (line.startsWith(name) && line.contains(tag)) {
                    total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                    seen = true;
                }
            }
            return seen ? total : Double.NaN;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Double.NaN;
        }
    }

    /** SIGTERM and wait for the exit (SIGKILL after a minute). */
    @Override
    public void close() throws InterruptedException {
        try {
            Runtime.getRuntime().removeShutdownHook(onExit);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs (or ran) anyway
        }
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    Path log() {
        return log;
    }

    private static int status(int port, String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
