package io.tviewd.connectors.postgres.state;

import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.runtime.WorkerConfig;
import org.apache.kafka.connect.storage.MemoryOffsetBackingStore;

/**
 * Kafka Connect offset store kept in table {@code tviewd.offsets} of the maintained database, so
 * the CDC position lives beside the tviews it describes. The engine writes here only offsets of
 * records the refresh pipeline marked processed, i.e. after their refresh committed.
 *
 * <p>Configured through engine properties {@code offset.storage.tviewd.url}, {@code .user},
 * {@code .password} and {@code .store} (the row namespace, normally the slot name).
 */
public class JdbcOffsetBackingStore extends MemoryOffsetBackingStore {

    public static final String PREFIX = "offset.storage.tviewd.";

    private String url;
    private Properties props;
    private String store;
    /** Kept open between flushes (one per stream, not one per flush); replaced after an error. */
    private Connection connection;

    public JdbcOffsetBackingStore() {
    }

    @Override
    public void configure(WorkerConfig config) {
        super.configure(config);
        Map<String, String> originals = config.originalsStrings();
        url = originals.get(PREFIX + "url");
        store = originals.getOrDefault(PREFIX + "store", "tviewd");
        props = new Properties();
        props.setProperty("user", originals.getOrDefault(PREFIX + "user", "postgres"));
        String password = originals.get(PREFIX + "password");
        if (password != null && !password.isEmpty()) {
            props.setProperty("password", password);
        }
        props.setProperty("ApplicationName", "tviewd-offsets");
        props.setProperty("options", "-c search_path=pg_catalog,pg_temp");
    }

    @Override
    public synchronized void start() {
        super.start();
        try (Connection c = DriverManager.getConnection(url, props);
             PreparedStatement ps = c.prepareStatement("SELECT key, value FROM " + StateSchema.OFFSETS + " WHERE store = ?")) {
            ps.setString(1, store);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    byte[] v = rs.getBytes(2);
                    data.put(ByteBuffer.wrap(rs.getBytes(1)), v == null ? null : ByteBuffer.wrap(v));
                }
            }
        } catch (SQLException e) {
            throw new ConnectException("Cannot read CDC offsets from " + StateSchema.OFFSETS + ": " + e.getMessage(), e);
        }
    }

    private Connection connection() throws SQLException {
        if (connection == null || connection.isClosed()) {
            connection = DriverManager.getConnection(url, props);
            connection.setAutoCommit(false);
        }
        return connection;
    }

    private void discardConnection() {
        io.tviewd.connectors.postgres.PostgresSessions.closeQuietly(connection);
        connection = null;
    }

    @Override
    public synchronized void stop() {
        super.stop();
        discardConnection();
    }

    @Override
    protected synchronized void save() {
        Map<ByteBuffer, ByteBuffer> snapshot = new HashMap<>(data);
        try {
            Connection c = connection();
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + StateSchema.OFFSETS
                    + " (store, key, value, updated_at) VALUES (?, ?, ?, now()) "
                    + "ON CONFLICT (store, key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()")) {
                for (Map.Entry<ByteBuffer, ByteBuffer> e : snapshot.entrySet()) {
                    ps.setString(1, store);
                    ps.setBytes(2, bytes(e.getKey()));
                    ps.setBytes(3, e.getValue() == null ? null : bytes(e.getValue()));
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            c.commit();
        } catch (SQLException e) {
            discardConnection();
            throw new ConnectException("Cannot store CDC offsets in " + StateSchema.OFFSETS + ": " + e.getMessage(), e);
        }
    }

    private static byte[] bytes(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }

    @Override
    public Set<Map<String, Object>> connectorPartitions(String connectorName) {
        return new HashSet<>();
    }
}
