package io.tviewd.daemon.support;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

import io.tviewd.config.DatabaseConfig;
import io.tviewd.config.Secret;
import io.tviewd.daemon.demo.EmbeddedDatabase;

/**
 * One real PostgreSQL with logical decoding per test JVM: a Testcontainers PostgreSQL 17 when a
 * Docker engine is available, the embedded zonky PostgreSQL 17 otherwise (as on CI here). Each test
 * gets its own fresh database via {@link #createDatabase}, so slots and publications never collide.
 */
public final class TestDatabase {

    /** The PostgreSQL image used when Docker is available; pinned with the embedded binaries' major version. */
    public static final String IMAGE = "postgres:17.6";

    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static TestDatabase instance;

    private final String host;
    private final int port;
    private final String user;
    private final String password;

    private TestDatabase(String host, int port, String user, String password) {
        this.host = host;
        this.port = port;
        this.user = user;
        this.password = password;
    }

    /** The shared server, started on first use and stopped when the JVM exits. */
    public static synchronized TestDatabase get() {
        if (instance == null) {
            instance = start();
        }
        return instance;
    }

    private static TestDatabase start() {
        if (dockerAvailable()) {
            PostgreSQLContainer pg = new PostgreSQLContainer(IMAGE)
                    .withCommand("postgres", "-c", "wal_level=logical", "-c", "max_wal_senders=64",
                            "-c", "max_replication_slots=256", "-c", "synchronous_commit=on");
            pg.start();
            Runtime.getRuntime().addShutdownHook(new Thread(pg::stop));
            return new TestDatabase(pg.getHost(), pg.getMappedPort(5432), pg.getUsername(), pg.getPassword());
        }
        try {
            EmbeddedDatabase db = EmbeddedDatabase.start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    db.close();
                } catch (Exception ignored) {
                    // JVM is exiting; the temp data directory goes with it
                }
            }));
            return new TestDatabase("127.0.0.1", db.port(), "postgres", "");
        } catch (Exception e) {
            throw new IllegalStateException("Cannot start embedded PostgreSQL: " + e.getMessage(), e);
        }
    }

    /** True when a Docker engine answers (Testcontainers can run). */
    public static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (Throwable t) {
            return false;
        }
    }

    /** Creates a new empty database and returns its connection settings. */
    public DatabaseConfig createDatabase(String prefix) throws SQLException {
        String name = prefix + "_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
        try (Connection c = DriverManager.getConnection(url("postgres"), user, password);
             Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        }
        return new DatabaseConfig(url(name), user, Secret.of(password));
    }

    private String url(String db) {
        return "jdbc:postgresql://" + host + ":" + port + "/" + db;
    }
}
