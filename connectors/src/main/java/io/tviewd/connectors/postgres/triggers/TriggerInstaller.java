package io.tviewd.connectors.postgres.triggers;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import io.tviewd.connectors.TableName;
import io.tviewd.connectors.postgres.catalog.Tview;
import io.tviewd.connectors.postgres.plan.RefreshPlan;
import io.tviewd.connectors.postgres.refresh.RefreshStatements;
import io.tviewd.connectors.postgres.state.StateSchema;

/**
 * Installs and removes the generated objects of trigger mode ({@link TriggerStatements}). Both are
 * idempotent and transactional: a tview never has half its triggers.
 */
public final class TriggerInstaller {

    private TriggerInstaller() {
    }

    /** Replaces every trigger of the tview with the plan's (stale ones from an older plan are dropped). */
    public static void install(Connection c, RefreshPlan plan, int order, RefreshStatements.Emit emit) throws SQLException {
        inTransaction(c, () -> {
            dropTriggers(c, plan.tview());
            try (Statement s = c.createStatement()) {
                for (String sql : TriggerStatements.install(plan, order, emit)) {
                    s.execute(sql);
                }
            }
        });
    }

    /** Drops the tview's triggers and generated functions, if any. */
    public static void remove(Connection c, Tview t) throws SQLException {
        inTransaction(c, () -> {
            dropTriggers(c, t);
            List<String> functions = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                    + "WHERE n.nspname = ? AND (p.proname = ? OR left(p.proname, length(?)) = ? OR p.proname = ? "
                    + "OR left(p.proname, length(?)) = ?)")) {
                ps.setString(1, StateSchema.SCHEMA);
                ps.setString(2, TriggerStatements.refreshFunction(t));
                ps.setString(3, TriggerStatements.functionPrefix(t));
                ps.setString(4, TriggerStatements.functionPrefix(t));
                // the names earlier versions gave them
                ps.setString(5, "refresh_" + t.table().schema() + "_" + t.table().name());
                ps.setString(6, t.table().name() + "__");
                ps.setString(7, t.table().name() + "__");
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        functions.add(rs.getString(1));
                    }
                }
            }
            try (Statement s = c.createStatement()) {
                for (String f : functions) {
                    String qualified = StateSchema.SCHEMA + "." + TableName.quote(f);
                    s.execute(f.startsWith("refresh_")
                            ? "DROP FUNCTION IF EXISTS " + qualified + "(text[]), " + qualified + "(text[], text)"
                            : "DROP FUNCTION IF EXISTS " + qualified + "()");
                }
            }
        });
    }

    /** Trigger names of this tview currently installed, as {@code table: trigger}. */
    public static List<String> installed(Connection c, Tview t) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT n.nspname, r.relname, g.tgname FROM pg_trigger g "
                + "JOIN pg_class r ON r.oid = g.tgrelid JOIN pg_namespace n ON n.oid = r.relnamespace "
                + "WHERE NOT g.tgisinternal AND left(g.tgname, 7) = 'tviewd_' ORDER BY 1, 2, 3");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                if (TriggerStatements.isTriggerOf(t, rs.getString(3))) {
                    out.add(rs.getString(1) + "." + rs.getString(2) + ": " + rs.getString(3));
                }
            }
        }
        return out;
    }

    private static void dropTriggers(Connection c, Tview t) throws SQLException {
        List<String> drops = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT n.nspname, r.relname, g.tgname FROM pg_trigger g "
                + "JOIN pg_class r ON r.oid = g.tgrelid JOIN pg_namespace n ON n.oid = r.relnamespace "
                + "WHERE NOT g.tgisinternal AND left(g.tgname, 7) = 'tviewd_'");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                if (TriggerStatements.isTriggerOf(t, rs.getString(3))) {
                    drops.add("DROP TRIGGER IF EXISTS " + TableName.quote(rs.getString(3)) + " ON "
                            + new TableName(rs.getString(1), rs.getString(2)).quoted());
                }
            }
        }
        try (Statement s = c.createStatement()) {
            for (String d : drops) {
                s.execute(d);
            }
        }
    }

    private interface Work {
        void run() throws SQLException;
    }

    private static void inTransaction(Connection c, Work work) throws SQLException {
        try {
            io.tviewd.connectors.postgres.PostgresSessions.inTransaction(c, () -> {
                // DDL waits for ACCESS EXCLUSIVE locks and blocks writers behind it meanwhile: give up early instead
                try (Statement s = c.createStatement()) {
                    s.execute("SET LOCAL lock_timeout = '2s'");
                }
                work.run();
                return null;
            });
        } catch (java.io.IOException e) {
            throw new SQLException(e);
        }
    }
}
