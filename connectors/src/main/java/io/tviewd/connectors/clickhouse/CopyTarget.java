package io.tviewd.connectors.clickhouse;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.Callable;

/** A copy's ClickHouse table, ready to write (created or checked), and the PostgreSQL connection it reads the tview on (closed with it). */
record CopyTarget(ClickHouseTable table, Connection postgres) implements AutoCloseable {

    /** Learns the sink's server, opens {@code postgres}, then reads the tview's columns on it and prepares its table. */
    static CopyTarget open(ClickHouseSink sink, String tview, Callable<Connection> postgres) throws Exception {
        sink.connect();
        Connection c = postgres.call();
        try {
            return new CopyTarget(sink.table(tview, false, c), c);
        } catch (Exception | Error e) {
            c.close();
            throw e;
        }
    }

    @Override
    public void close() throws SQLException {
        postgres.close();
    }
}
