package io.tviewd.connectors.postgres.check;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import io.tviewd.config.TviewdConfig;
import io.tviewd.connectors.TableName;
import io.tviewd.connectors.postgres.catalog.BaseTable;
import io.tviewd.connectors.postgres.catalog.Tview;
import io.tviewd.connectors.postgres.plan.KeyMapping;
import io.tviewd.connectors.postgres.plan.RefreshPlan;
import io.tviewd.connectors.postgres.plan.TviewPlans;
import io.tviewd.connectors.postgres.refresh.RefreshStatements;
import io.tviewd.connectors.postgres.state.StateSchema;

/**
 * The {@code check} report: server settings, slot and publication state, and for every tview its
 * key, source view and refresh plan as SQL, with replica identity and missing indexes on mapping
 * columns. Read-only: changes nothing in the database.
 */
public final class Preflight {

    /** How serious a finding is; {@link #FAIL} blocks CDC refresh. */
    public enum Level { OK, INFO, WARN, FAIL }

    /** One line of the report. */
    public record Finding(Level level, String text) {
    }

    /** The whole report: lines in order; {@link #blocking()} when any line is FAIL. */
    public record Report(List<Finding> findings) {
        public boolean blocking() {
            return findings.stream().anyMatch(f -> f.level() == Level.FAIL);
        }

        public String render() {
            return findings.stream().map(f -> String.format("%-5s %s", f.level(), f.text())).collect(Collectors.joining("\n"));
        }
    }

    private final Connection c;
    private final TviewdConfig config;
    private final List<Finding> out = new ArrayList<>();

    private Preflight(Connection c, TviewdConfig config) {
        this.c = c;
        this.config = config;
    }

    public static Report run(Connection c, TviewdConfig config) throws SQLException {
        Preflight p = new Preflight(c, config);
        p.server();
        TviewPlans plans = TviewPlans.read(c, config);
        p.replication(plans);
        p.rights(plans);
        p.tviews(plans);
        return new Report(List.copyOf(p.out));
    }

    private void add(Level level, String text) {
        out.add(new Finding(level, text));
    }

    private void server() throws SQLException {
        String wal = scalar("SHOW wal_level");
        add("logical".equals(wal) ? Level.OK : Level.FAIL, "wal_level = " + wal
                + ("logical".equals(wal) ? "" : ": run ALTER SYSTEM SET wal_level = logical; and restart PostgreSQL"));
        int version = Integer.parseInt(scalar("SHOW server_version_num"));
        add(version >= 100000 ? Level.OK : Level.FAIL, "PostgreSQL " + scalar("SHOW server_version")
                + (version >= 100000 ? "" : ": tviewd needs 10 or later"));
        if (config.events().enabled()) {
            add(version >= 140000 ? Level.OK : Level.FAIL, version >= 140000
                    ? "refresh events: logical messages are decoded (PostgreSQL 14+); event streams " + eventStreams()
                    : "refresh events need PostgreSQL 14 or later: upgrade, or set events.enabled=false");
        } else {
            add(Level.INFO, "refresh events are off (events.enabled=false)");
        }
        String canReplicate = scalar("SELECT (rolreplication OR rolsuper)::text FROM pg_roles WHERE rolname = current_user");
        add("true".equals(canReplicate) ? Level.OK : Level.FAIL, "user " + scalar("SELECT current_user")
                + ("true".equals(canReplicate) ? " may replicate" : " lacks REPLICATION: run ALTER ROLE " + scalar("SELECT current_user")
                + " REPLICATION;"));
        if ("true".equals(scalar("SELECT rolsuper::text FROM pg_roles WHERE rolname = current_user"))) {
            add(Level.WARN, "user " + scalar("SELECT current_user") + " is a superuser: views, functions and triggers tviewd runs "
                    + "would act with every right; run it as a role with only what it needs (README: \"Running as a role that is "
                    + "not a superuser\")");
        }
    }

    /**
     * The rights the README's least-privilege script grants, checked one by one for the daemon's role: the state
     * schema (create it, or own it), each tview (read, insert, update, delete) and its view (read), and each base
     * table it publishes (the owner's role, which {@code CREATE PUBLICATION … FOR TABLE} and trigger mode need).
     * A superuser has them all (and was warned above).
     */
    private void rights(TviewPlans plans) throws SQLException {
        if ("true".equals(scalar("SELECT rolsuper::text FROM pg_roles WHERE rolname = current_user"))) {
            return;
        }
        String user = scalar("SELECT current_user");
        List<String> missing = new ArrayList<>();
        String schemaOwner = scalar("SELECT coalesce((SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = '"
                + StateSchema.SCHEMA + "'), '')");
        if (schemaOwner.isEmpty()) {
            if (!"true".equals(scalar("SELECT has_database_privilege(current_database(), 'CREATE')::text"))) {
                missing.add("CREATE on database " + scalar("SELECT current_database()") + ", to create schema " + StateSchema.SCHEMA
                        + " (GRANT CREATE ON DATABASE " + scalar("SELECT quote_ident(current_database())") + " TO " + user + ")");
            }
        } else if (!"true".equals(scalar("SELECT pg_has_role(current_user, (SELECT nspowner FROM pg_namespace WHERE nspname = '"
                + StateSchema.SCHEMA + "'), 'USAGE')::text"))) {
            missing.add("ownership of schema " + StateSchema.SCHEMA + ", which " + schemaOwner + " owns (ALTER SCHEMA " + StateSchema.SCHEMA
                    + " OWNER TO " + user + ")");
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT has_table_privilege(?::regclass, ?)")) {
            for (RefreshPlan plan : plans.plans()) {
                Tview t = plan.tview();
                for (String right : List.of("SELECT", "INSERT", "UPDATE", "DELETE")) {
                    if (!privilege(ps, t.table(), right)) {
                        missing.add(right + " on tview " + t.table() + " (GRANT " + right + " ON " + t.table().quoted() + " TO " + user + ")");
                    }
                }
                if (!privilege(ps, t.sourceView(), "SELECT")) {
                    missing.add("SELECT on view " + t.sourceView() + " (GRANT SELECT ON " + t.sourceView().quoted() + " TO " + user + ")");
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_get_userbyid(c.relowner), pg_has_role(current_user, c.relowner, 'USAGE') "
                + "FROM pg_class c WHERE c.oid = ?::regclass")) {
            for (TableName table : plans.mappedTables()) {
                ps.setString(1, table.quoted());
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next() && !rs.getBoolean(2)) {
                        missing.add("membership in role " + rs.getString(1) + ", which owns " + table + " (publishing a table and trigger "
                                + "mode need its owner's rights: GRANT " + rs.getString(1) + " TO " + user + ")");
                    }
                }
            }
        }
        if (missing.isEmpty()) {
            add(Level.OK, "rights: user " + user + " has what tviewd needs (schema " + StateSchema.SCHEMA + ", " + plans.plans().size()
                    + " tviews and their views, the owners of " + plans.mappedTables().size() + " published tables)");
        } else {
            missing.forEach(m -> add(Level.FAIL, "rights: user " + user + " lacks " + m));
        }
    }

    private static boolean privilege(PreparedStatement ps, TableName table, String right) throws SQLException {
        ps.setString(1, table.quoted());
        ps.setString(2, right);
        try (ResultSet rs = ps.executeQuery()) {
            return rs.next() && rs.getBoolean(1);
        }
    }

    private String eventStreams() {
        String slot = config.cdc().slotName();
        return "live (SSE and event bus, read from the CDC slot " + slot + ")" + (config.kafka().enabled()
                ? ", kafka (slot " + slot + "_ev_kafka, " + config.kafka().bootstrapServers() + ", topics " + config.kafka().topicTemplate() + ")"
                : "; no Kafka sink (kafka.bootstrap-servers is empty)")
                + (config.clickhouse().enabled()
                ? ", clickhouse (slot " + slot + "_ev_clickhouse, " + config.clickhouse().endpoint() + ", database " + config.clickhouse().database() + ")"
                : "; no ClickHouse sink (clickhouse.url is empty)");
    }

    private void replication(TviewPlans plans) throws SQLException {
        String slot = config.cdc().slotName();
        try (PreparedStatement ps = c.prepareStatement("SELECT plugin, active, active_pid, database, confirmed_flush_lsn::text, "
                + "pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)) FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    add(Level.INFO, "replication slot '" + slot + "' does not exist: created at first run (then every tview is reconciled once)");
                } else if (!"pgoutput".equals(rs.getString(1))) {
                    add(Level.FAIL, "replication slot '" + slot + "' uses plugin " + rs.getString(1) + ", not pgoutput: drop it or set cdc.slot-name");
                } else if (!scalar("SELECT current_database()").equals(rs.getString(4))) {
                    add(Level.FAIL, "replication slot '" + slot + "' belongs to database " + rs.getString(4) + ": set cdc.slot-name");
                } else {
                    add(Level.OK, "replication slot '" + slot + "': " + (rs.getBoolean(2) ? "active (pid " + rs.getInt(3) + ")" : "inactive")
                            + ", confirmed " + rs.getString(5) + ", retains " + rs.getString(6) + " of WAL");
                }
            }
        }
        String pub = config.cdc().publicationName();
        Set<String> wanted = new TreeSet<>();
        plans.mappedTables().forEach(t -> wanted.add(t.toString()));
        wanted.add(StateSchema.HEARTBEAT);
        Set<String> have = new TreeSet<>();
        boolean exists;
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_publication WHERE pubname = ?")) {
            ps.setString(1, pub);
            try (ResultSet rs = ps.executeQuery()) {
                exists = rs.next();
            }
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = ?")) {
            ps.setString(1, pub);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    have.add(new io.tviewd.connectors.TableName(rs.getString(1), rs.getString(2)).toString());
                }
            }
        }
        if (!exists) {
            add(Level.INFO, "publication '" + pub + "' does not exist: created at first run with " + wanted);
        } else if (have.equals(wanted)) {
            add(Level.OK, "publication '" + pub + "' holds exactly the " + wanted.size() + " tables the tviews read (and the heartbeat)");
        } else {
            Set<String> missing = new TreeSet<>(wanted);
            missing.removeAll(have);
            Set<String> extra = new TreeSet<>(have);
            extra.removeAll(wanted);
            add(Level.INFO, "publication '" + pub + "' will be altered at start: adds " + missing + ", drops " + extra);
        }
    }

    private void tviews(TviewPlans plans) throws SQLException {
        if (plans.plans().isEmpty()) {
            add(Level.FAIL, "no tviews to maintain in schemas " + config.discovery().schemas());
        }
        int order = 1;
        for (RefreshPlan p : plans.plans()) {
            Tview t = p.tview();
            add(Level.OK, "tview " + t.table() + ": key " + t.keyColumn() + " (" + t.keyType() + "), source " + t.sourceView()
                    + ", refresh order " + order++ + (t.dependsOn().isEmpty() ? "" : ", after " + t.dependsOn()));
            for (String w : p.warnings()) {
                add(Level.WARN, "  " + w);
            }
            for (String use : p.lineage()) {
                add(use.contains(": NOT COVERED: ") ? Level.WARN : Level.INFO, "  use " + use);
            }
            for (BaseTable b : t.baseTables()) {
                List<KeyMapping> ms = p.mappingsFor(b.name());
                add(p.unmapped().contains(b.name()) ? Level.WARN : Level.INFO, "  " + b.name() + " (replica identity "
                        + b.replicaIdentityName() + ")" + (ms.isEmpty() ? ": unmapped, changes ignored" : ""));
                for (KeyMapping m : ms) {
                    add(Level.INFO, "    " + m.kind() + ": " + describe(t, m));
                }
                for (String index : missingIndexes(t, ms)) {
                    add(Level.WARN, "    missing index for lookups: " + index);
                }
            }
        }
        plans.refused().forEach((name, why) -> add(Level.FAIL, "tview " + name + " refused: " + why));
    }

    private static String describe(Tview t, KeyMapping m) {
        if (m instanceof KeyMapping.Direct d) {
            return "the changed row's " + d.rowColumn() + " is the key";
        }
        if (m instanceof KeyMapping.FullRefresh) {
            return "any change refreshes the whole tview: " + RefreshStatements.refreshAll(t, RefreshStatements.Emit.NONE).replace('\n', ' ');
        }
        return "keys = " + RefreshStatements.lookupKeys(t, m).replaceFirst("CAST\\(\\? AS text\\[\\]\\)", "\\$" + m.rowColumn());
    }

    /** Indexes the mapping queries need: each hop's entry column, and the tview's lineage column. */
    private List<String> missingIndexes(Tview t, List<KeyMapping> ms) throws SQLException {
        Set<String> needed = new LinkedHashSet<>();
        List<String> out = new ArrayList<>();
        for (KeyMapping m : ms) {
            if (m instanceof KeyMapping.Path p) {
                for (KeyMapping.Hop h : p.hops()) {
                    check(h.table(), h.entryColumn(), needed, out);
                }
            } else if (m instanceof KeyMapping.Lineage l) {
                check(t.table(), l.tviewColumn(), needed, out);
            }
        }
        return out;
    }

    private void check(TableName table, String column, Set<String> seen, List<String> out) throws SQLException {
        if (!seen.add(table + "." + column)) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
                + "JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
                + "WHERE n.nspname = ? AND c.relname = ? AND a.attname = ?")) {
            ps.setString(1, table.schema());
            ps.setString(2, table.name());
            ps.setString(3, column);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    out.add("CREATE INDEX CONCURRENTLY ON " + table.quoted() + " (" + TableName.quote(column) + ");");
                }
            }
        }
    }

    private String scalar(String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
