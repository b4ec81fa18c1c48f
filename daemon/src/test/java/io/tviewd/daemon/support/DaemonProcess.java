package io.tviewd.daemon.support;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.tviewd.config.DatabaseConfig;

/**
 * The real executable ({@code target/tviewd.jar}, {@code run} command) in a child process, so tests
 * can stop it with SIGTERM or kill it with SIGKILL. Its output goes to a log file under
 * {@code target/daemon-logs/} that failing tests name.
 */
public final class DaemonProcess implements AutoCloseable {

    private final Process process;
    private final int port;
    private final Path log;

    private DaemonProcess(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** Starts {@code tviewd run} on {@code db} with extra {@code TVIEWD_*} overrides and waits until ready. */
    public static DaemonProcess start(DatabaseConfig db, String name, String... overrides) throws IOException {
        int port = freePort();
        Path jar = Path.of("target", "tviewd.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException("target/tviewd.jar is missing: integration tests run after `package`");
        }
        Path logDir = Files.createDirectories(Path.of("target", "daemon-logs"));
        Path log = logDir.resolve(name + "-" + System.nanoTime() + ".log");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-jar", jar.toString(), "run"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("TVIEWD_"));
        env.putAll(Configs.env(db, overrides));
        env.put("TVIEWD_HTTP_PORT", Integer.toString(port));
        DaemonProcess d = new DaemonProcess(pb.start(), port, log);
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
                if (!d.process.isAlive()) {
                    throw new IllegalStateException("daemon exited with " + d.process.exitValue() + "; log: " + d.logText());
                }
                return Http.status(port, "/health/ready") == 200;
            });
        } catch (RuntimeException e) {
            d.process.destroyForcibly();
            throw e;
        }
        return d;
    }

    public int port() {
        return port;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** SIGTERM, then waits for the exit code. */
    public int stopGracefully(Duration timeout) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("daemon did not stop within " + timeout + " after SIGTERM; log " + log);
        }
        return process.exitValue();
    }

    /** SIGKILL: no shutdown hook, no final batch, no offset flush. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    public String logText() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 0, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
