package io.tviewd.daemon.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private ClickHouse server (Debian's {@code clickhouse-server}; {@code .ci/run} installs it) for the benchmark and
 * the tests: started on 127.0.0.1 with its own configuration and data directory under {@code dir}, free ports, user
 * {@code default} without password and user {@code tviewd} with one. {@link #kill} and {@link #restart} simulate an
 * outage; the data survives. Stopped by PID, never by name.
 */
public final class LocalClickHouse implements AutoCloseable {

    public static final String USER = "tviewd";
    public static final String PASSWORD = "ch-s3cret";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Path dir;
    private final int httpPort;
    private Process process;

    private LocalClickHouse(Path dir, int httpPort) {
        this.dir = dir;
        this.httpPort = httpPort;
    }

    /** True when this machine has a clickhouse-server binary. */
    public static boolean available() {
        return binaryOrNull() != null;
    }

    /** Starts a server whose directory is a new temporary one under {@code parent}. */
    public static LocalClickHouse start(Path parent) throws Exception {
        Path binary = binary();
        Files.createDirectories(parent);
        Path dir = Files.createTempDirectory(parent.toAbsolutePath(), "clickhouse-");
        int http = freePort();
        int tcp = freePort();
        Files.writeString(dir.resolve("config.xml"), """
                <?xml version="1.0"?>
                <yandex>
                    <logger><level>warning</level><log>%1$s/server.log</log><errorlog>%1$s/error.log</errorlog><console>0</console></logger>
                    <http_port>%2$d</http_port>
                    <tcp_port>%3$d</tcp_port>
                    <listen_host>127.0.0.1</listen_host>
                    <path>%1$s/data/</path>
                    <tmp_path>%1$s/tmp/</tmp_path>
                    <user_files_path>%1$s/user_files/</user_files_path>
                    <format_schema_path>%1$s/format_schemas/</format_schema_path>
                    <mark_cache_size>5368709</mark_cache_size>
                    <users_config>users.xml</users_config>
                    <default_profile>default</default_profile>
                    <default_database>default</default_database>
                    <timezone>UTC</timezone>
                    <mlock_executable>false</mlock_executable>
                </yandex>
                """.formatted(dir, http, tcp));
        Files.writeString(dir.resolve("users.xml"), """
                <?xml version="1.0"?>
                <yandex>
                    <profiles><default></default></profiles>
                    <users>
                        <default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default>
                        <%1$s><password>%2$s</password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></%1$s>
                    </users>
                    <quotas><default></default></quotas>
                </yandex>
                """.formatted(USER, PASSWORD));
        LocalClickHouse s = new LocalClickHouse(dir, http);
        s.binaryPath = binary;
        s.start0();
        return s;
    }

    private Path binaryPath;

    private static Path binaryOrNull() {
        for (String p : List.of("/usr/bin/clickhouse-server", "/usr/sbin/clickhouse-server", "/usr/bin/clickhouse")) {
            if (Files.isExecutable(Path.of(p))) {
                return Path.of(p);
            }
        }
        return null;
    }

    private static Path binary() {
        Path p = binaryOrNull();
        if (p != null) {
            return p;
        }
        throw new IllegalStateException("The ClickHouse tests need a clickhouse-server binary (none in /usr/bin or /usr/sbin): "
                + "install it with `apt-get install -y clickhouse-server` (.ci/run does)");
    }

    /** Starts (again) on the same ports and data; waits until it answers. */
    private void start0() throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(binaryPath.toString());
        if (binaryPath.getFileName().toString().equals("clickhouse")) {
            cmd.add("server");
        }
        cmd.add("--config-file=" + dir.resolve("config.xml"));
        process = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("stdout.log").toFile())).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("clickhouse-server exited with " + process.exitValue() + "; see " + dir);
            }
            try {
                if ("1".equals(query("SELECT 1").strip())) {
                    return;
                }
            } catch (IOException e) {
                // not up yet
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("clickhouse-server did not answer within 60 s; see " + dir);
            }
            Thread.sleep(100);
        }
    }

    /** Starts it again after {@link #kill}. */
    public void restart() throws Exception {
        start0();
    }

    /** kill -9: an outage in the middle of whatever it was doing. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    public String url() {
        return "http://127.0.0.1:" + httpPort;
    }

    /** Runs a statement as {@code default}; the body of the answer. */
    public String query(String sql) throws IOException, InterruptedException {
        return query(url(), sql);
    }

    /** Rows of a query in TabSeparated format, each as its fields (unescaped). */
    public List<List<String>> rows(String sql) throws IOException, InterruptedException {
        return rows(url(), sql);
    }

    /** Runs a statement as {@code default} on the ClickHouse HTTP interface at {@code url}; the body of the answer. */
    public static String query(String url, String sql) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url + "/?query=" + URLEncoder.encode(sql, StandardCharsets.UTF_8)))
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("ClickHouse answered " + r.statusCode() + " to " + sql + ": " + r.body());
        }
        return r.body();
    }

    /** {@link #rows(String)} of the ClickHouse at {@code url}. */
    public static List<List<String>> rows(String url, String sql) throws IOException, InterruptedException {
        List<List<String>> out = new ArrayList<>();
        for (String line : query(url, sql + " FORMAT TabSeparated").split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            List<String> fields = new ArrayList<>();
            for (String f : line.split("\t", -1)) {
                fields.add(f.replace("\\t", "\t").replace("\\n", "\n").replace("\\'", "'").replace("\\\\", "\\"));
            }
            out.add(fields);
        }
        return out;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }
}
