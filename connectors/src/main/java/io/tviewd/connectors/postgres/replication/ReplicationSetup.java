package io.tviewd.connectors.postgres.replication;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import io.tviewd.connectors.TableName;
import io.tviewd.connectors.postgres.state.StateSchema;

/**
 * Prepares the database for streaming: checks wal_level, keeps the publication equal to the set of
 * base tables the tviews read, and creates the replication slot when it is missing.
 */
public final class ReplicationSetup {

    private final Connection connection;

    public ReplicationSetup(Connection connection) {
        this.connection = connection;
    }

    /** Fails with a message saying what to change when the server cannot stream logical changes. */
    public void requireLogicalDecoding() throws SQLException {
        String walLevel = scalar("SHOW wal_level");
        if (!"logical".equals(walLevel)) {
            throw new IllegalStateException("wal_level is '" + walLevel + "' but CDC needs 'logical': run "
                    + "ALTER SYSTEM SET wal_level = logical; and restart PostgreSQL");
        }
        int version = Integer.parseInt(scalar("SHOW server_version_num"));
        if (version < 100000) {
            throw new IllegalStateException("PostgreSQL " + version + " is too old: tviewd needs 10 or later (pgoutput)");
        }
    }

    /**
     * Creates the publication, or alters it to hold exactly {@code tables}.
     *
     * @return true when the publication was created or its table set changed
     */
    public boolean syncPublication(String name, Set<TableName> tables) throws SQLException {
        Set<String> wanted = tables.stream().map(TableName::toString).collect(Collectors.toCollection(TreeSet::new));
        String list = tables.stream().sorted().map(TableName::quoted).collect(Collectors.joining(", "));
        boolean exists;
        try (PreparedStatement ps = connection.prepareStatement("SELECT 1 FROM pg_publication WHERE pubname = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                exists = rs.next();
            }
        }
        // partitioned tables publish their leaves' changes under the partitioned table's name, the one views read
        boolean viaRoot = connection.getMetaData().getDatabaseMajorVersion() >= 13;
        try (Statement s = connection.createStatement()) {
            if (!exists) {
                s.execute("CREATE PUBLICATION " + TableName.quote(name) + (list.isEmpty() ? "" : " FOR TABLE " + list)
                        + (viaRoot ? " WITH (publish_via_partition_root = true)" : ""));
                return true;
            }
            boolean changed = false;
            if (viaRoot && !publishesViaRoot(name)) {
                s.execute("ALTER PUBLICATION " + TableName.quote(name) + " SET (publish_via_partition_root = true)");
                changed = true;
            }
            if (publishedTables(name).equals(wanted)) {
                return changed;
            }
            if (list.isEmpty()) {
                for (String t : publishedTables(name)) {
                    s.execute("ALTER PUBLICATION " + TableName.quote(name) + " DROP TABLE "
                            + TableName.parse(t, "public").quoted());
                }
            } else {
                s.execute("ALTER PUBLICATION " + TableName.quote(name) + " SET TABLE " + list);
            }
            return true;
        }
    }

    private boolean publishesViaRoot(String name) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT pubviaroot FROM pg_publication WHERE pubname = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    private Set<String> publishedTables(String name) throws SQLException {
        Set<String> out = new TreeSet<>();
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new io.tviewd.connectors.TableName(rs.getString(1), rs.getString(2)).toString());
                }
            }
        }
        return out;
    }

    /**
     * Creates the logical slot (pgoutput) when missing. A new slot means earlier changes were never
     * streamed, so the caller must reconcile every tview once after creating it.
     *
     * @return true when the slot was created now
     * @throws IllegalStateException when the slot exists but is in use by another process or uses another plugin
     */
    public boolean ensureSlot(String slot) throws SQLException {
        if (connection.getMetaData().getDatabaseMajorVersion() >= 13) {
            // a slot invalidated by max_slot_wal_keep_size can never stream again: replace it (the caller reconciles)
            try (PreparedStatement ps = connection.prepareStatement("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                    + "WHERE slot_name = ? AND wal_status = 'lost' AND NOT active")) {
                ps.setString(1, slot);
                ps.executeQuery().close();
            }
        }
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT plugin, active, active_pid, database FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    if (!"pgoutput".equals(rs.getString(1))) {
                        throw new IllegalStateException("Replication slot '" + slot + "' uses plugin '" + rs.getString(1)
                                + "', tviewd needs pgoutput: drop it (SELECT pg_drop_replication_slot('" + slot
                                + "')) or set cdc.slot-name to another slot");
                    }
                    String db = scalar("SELECT current_database()");
                    if (!db.equals(rs.getString(4))) {
                        throw new IllegalStateException("Replication slot '" + slot + "' belongs to database '"
                                + rs.getString(4) + "', not '" + db + "': set cdc.slot-name to another slot");
                    }
                    if (rs.getBoolean(2)) {
                        throw new SlotInUseException("Replication slot '" + slot + "' is in use by backend pid "
                                + rs.getInt(3) + " (another tviewd?): stop it or set cdc.slot-name to another slot");
                    }
                    return false;
                }
            }
        }
        try (PreparedStatement ps = connection.prepareStatement("SELECT pg_create_logical_replication_slot(?, 'pgoutput')")) {
            ps.setString(1, slot);
            ps.execute();
        }
        return true;
    }

    /**
     * After {@link #ensureSlot} created {@code slot}: positions stored for it belong to a slot that is gone (dropped by a
     * DBA, lost in a failover, invalidated by {@code max_slot_wal_keep_size}). Debezium would refuse them ("no longer
     * available on the server") at every start; they are removed, so streaming starts where the new slot does.
     *
     * @return true when stored positions were found and removed
     */
    public boolean discardOrphanedOffsets(String slot) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("DELETE FROM " + StateSchema.OFFSETS + " WHERE store = ?")) {
            ps.setString(1, slot);
            boolean found = ps.executeUpdate() > 0;
            if (!connection.getAutoCommit()) {
                connection.commit();
            }
            return found;
        }
    }

    /**
     * The slot is held by another replication connection: another daemon, or the connection of a
     * daemon that was just killed and which the server has not noticed yet.
     */
    public static final class SlotInUseException extends IllegalStateException {
        public SlotInUseException(String message) {
            super(message);
        }
    }

    private String scalar(String sql) throws SQLException {
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
