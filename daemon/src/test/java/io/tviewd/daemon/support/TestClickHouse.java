package io.tviewd.daemon.support;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.utility.DockerImageName;

import io.tviewd.daemon.bench.LocalClickHouse;

/**
 * One real ClickHouse server for a test class: Testcontainers' {@code clickhouse/clickhouse-server} image when a Docker
 * engine is available — a current server, so the two-argument {@code ReplacingMergeTree(_version, _deleted)} and
 * {@code DateTime64} paths run there — otherwise Debian's {@code clickhouse-server} ({@link LocalClickHouse}; 18.16 on
 * these machines, as on CI here). Both have user {@code default} without a password and {@link #USER} with
 * {@link #PASSWORD}; {@link #kill} and {@link #restart} make an outage that keeps the data.
 */
public final class TestClickHouse implements AutoCloseable {

    /** The image used when Docker is available; pinned. */
    public static final String IMAGE = "clickhouse/clickhouse-server:24.8";
    public static final String USER = LocalClickHouse.USER;
    public static final String PASSWORD = LocalClickHouse.PASSWORD;

    private final LocalClickHouse local;
    private final GenericContainer<?> container;
    private final String url;

    private TestClickHouse(LocalClickHouse local, GenericContainer<?> container, String url) {
        this.local = local;
        this.container = container;
        this.url = url;
    }

    /** Starts a server; the local one keeps its files under {@code dir}. */
    public static TestClickHouse start(Path dir) throws Exception {
        if (!TestDatabase.dockerAvailable()) {
            LocalClickHouse local = LocalClickHouse.start(dir);
            return new TestClickHouse(local, null, local.url());
        }
        // a fixed host port: a container started again after a kill keeps its address
        int port = freePort();
        GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(IMAGE))
                .withEnv("CLICKHOUSE_SKIP_USER_SETUP", "1")
                .withCopyToContainer(Transferable.of("""
                        <clickhouse><users><%1$s><password>%2$s</password><networks><ip>::/0</ip></networks>\
                        <profile>default</profile><quota>default</quota></%1$s></users></clickhouse>
                        """.formatted(USER, PASSWORD)), "/etc/clickhouse-server/users.d/tviewd.xml")
                .withExposedPorts(8123)
                .waitingFor(Wait.forHttp("/ping").forPort(8123).withStartupTimeout(Duration.ofMinutes(2)));
        c.setPortBindings(List.of(port + ":8123"));
        c.start();
        Runtime.getRuntime().addShutdownHook(new Thread(c::stop));
        return new TestClickHouse(null, c, "http://" + c.getHost() + ":" + port);
    }

    public String url() {
        return url;
    }

    /** Runs a statement as {@code default}; the body of the answer. */
    public String query(String sql) throws IOException, InterruptedException {
        return LocalClickHouse.query(url, sql);
    }

    /** Rows of a query, each as its fields (unescaped). */
    public List<List<String>> rows(String sql) throws IOException, InterruptedException {
        return LocalClickHouse.rows(url, sql);
    }

    /** True from 20.1 on: timestamps are stored as {@code DateTime64(6, 'UTC')}, before as {@code DateTime('UTC')}. */
    public boolean hasDateTime64() throws IOException, InterruptedException {
        return atLeast(20, 1);
    }

    /** True from 23.2 on: tables are {@code ReplacingMergeTree(_version, _deleted)}. */
    public boolean hasIsDeleted() throws IOException, InterruptedException {
        return atLeast(23, 2);
    }

    private boolean atLeast(int major, int minor) throws IOException, InterruptedException {
        String[] v = query("SELECT version()").strip().split("\\.");
        int ma = Integer.parseInt(v[0]);
        int mi = Integer.parseInt(v[1]);
        return ma > major || ma == major && mi >= minor;
    }

    /** kill -9 of the server (the container's main process): an outage in the middle of whatever it was doing. */
    public void kill() throws InterruptedException {
        if (local != null) {
            local.kill();
        } else {
            container.getDockerClient().killContainerCmd(container.getContainerId()).exec();
        }
    }

    /** Starts it again after {@link #kill}, same address and data; returns once it answers. */
    public void restart() throws Exception {
        if (local != null) {
            local.restart();
            return;
        }
        container.getDockerClient().startContainerCmd(container.getContainerId()).exec();
        org.awaitility.Awaitility.await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> "1".equals(query("SELECT 1").strip()));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws Exception {
        if (local != null) {
            local.close();
        } else {
            container.stop();
        }
    }
}
