package io.tviewd.connectors.clickhouse;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/** A copy's ClickHouse table, ready to write (created or checked), and the PostgreSQL connection it reads the tview on (closed with it). */
record CopyTarget(ClickHouseTable table, Connection postgres) implements AutoCloseable {

    /**
     * Asks the sink's server while {@code postgres} opens (each costs a cold command ~0.1 s), then reads the tview's
     * columns on that connection and prepares its table.
     */
    static CopyTarget open(ClickHouseSink sink, String tview, Callable<Connection> postgres) throws Exception {
        CompletableFuture<Void> server = CompletableFuture.runAsync(() -> {
            try {
                sink.connect();
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        });
        Connection c = null;
        try {
            c = postgres.call();
            try {
                server.join();
            } catch (CompletionException e) {
                throw e.getCause() instanceof Exception x ? x : e;
            }
            return new CopyTarget(sink.table(tview, false, c), c);
        } catch (Exception | Error e) {
            server.cancel(false);
            if (c != null) {
                c.close();
            }
            throw e;
        }
    }

    @Override
    public void close() throws SQLException {
        postgres.close();
    }
}
