package io.tviewd.daemon.demo;

import java.io.IOException;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * A throw-away PostgreSQL 17 (zonky embedded binaries) configured for logical decoding, listening
 * on 127.0.0.1 only. Used by {@code demo} when no database is configured and by the tests when
 * Docker is not available.
 */
public final class EmbeddedDatabase implements AutoCloseable {

    private final EmbeddedPostgres postgres;

    private EmbeddedDatabase(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    public static EmbeddedDatabase start() throws IOException {
        return start(java.util.Map.of());
    }

    /** Starts a throw-away server with extra server settings (the benchmark sizes shared_buffers). */
    public static EmbeddedDatabase start(java.util.Map<String, String> settings) throws IOException {
        EmbeddedPostgres.Builder builder = configured(EmbeddedPostgres.builder());
        settings.forEach(builder::setServerConfig);
        return new EmbeddedDatabase(builder.start());
    }

    /**
     * Starts (or restarts) a server on a kept data directory and a fixed port, so that a test can stop
     * it and start it again with its data, slots and WAL intact.
     */
    public static EmbeddedDatabase startAt(java.nio.file.Path dataDirectory, int port) throws IOException {
        return new EmbeddedDatabase(configured(EmbeddedPostgres.builder()).setDataDirectory(dataDirectory)
                .setCleanDataDirectory(false).setPort(port).start());
    }

    private static EmbeddedPostgres.Builder configured(EmbeddedPostgres.Builder builder) {
        return builder
                // a restart replays WAL and a busy 2-core machine is slow: zonky's default of 10 s is too short
                .setPGStartupWait(java.time.Duration.ofSeconds(60))
                .setServerConfig("listen_addresses", "127.0.0.1")
                .setServerConfig("wal_level", "logical")
                .setServerConfig("max_wal_senders", "64")
                .setServerConfig("max_replication_slots", "256")
                // zonky defaults to synchronous_commit=off; a commit must be durable before tviewd sees it
                .setServerConfig("synchronous_commit", "on")
                .setServerConfig("max_connections", "100");
    }

    /** JDBC URL of database {@code postgres} (user {@code postgres}, no password). */
    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/postgres";
    }

    public int port() {
        return postgres.getPort();
    }

    /** Stops the server; a second call does nothing. */
    @Override
    public synchronized void close() throws IOException {
        if (!closed) {
            closed = true;
            postgres.close();
        }
    }

    private boolean closed;
}
