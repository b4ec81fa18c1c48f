package io.tviewd.daemon.cutover;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

import io.tviewd.config.RefreshMode;
import io.tviewd.config.TviewdConfig;
import io.tviewd.connectors.TableName;
import io.tviewd.connectors.postgres.PostgresSessions;
import io.tviewd.connectors.postgres.plan.RefreshPlan;
import io.tviewd.connectors.postgres.refresh.RefreshStatements;
import io.tviewd.connectors.postgres.refresh.TviewVerifier;
import io.tviewd.connectors.postgres.state.CutoverJournal;
import io.tviewd.connectors.postgres.state.ModeStore;
import io.tviewd.connectors.postgres.triggers.TriggerInstaller;
import io.tviewd.connectors.postgres.triggers.TriggerStatements;
import io.tviewd.daemon.pipeline.CdcProgress;
import io.tviewd.daemon.pipeline.TviewMaintenance;

/**
 * Moves one tview between refresh modes, make-before-break (DESIGN.md guarantee 4): the new driver
 * covers changes before the old one stops, and overlap is harmless because refresh is idempotent.
 * Every step is journaled ({@link CutoverJournal}) so an interrupted cutover can be resumed or rolled
 * back. Changes that involve CDC need the daemon running (it applies modes and reports its position).
 */
public final class Cutover {

    /** One step: what it does and undoes (for dry-run), and how. */
    private record Step(String name, String forward, String rollback, Action run, Action undo) {
    }

    @FunctionalInterface
    private interface Action {
        /** @return an LSN to journal, or null */
        String apply() throws Exception;
    }

    /** Default of how long a step waits for the daemon (acknowledgement, CDC position). */
    public static final Duration WAIT = Duration.ofSeconds(60);

    private final TviewdConfig config;
    private final PostgresSessions sessions;
    private final Connection c;
    private final RefreshPlan plan;
    private final int order;
    private final Consumer<String> log;
    private final Duration wait;
    private final CdcProgress cdc;

    public Cutover(TviewdConfig config, PostgresSessions sessions, Connection c, RefreshPlan plan, int order, Duration wait,
            Consumer<String> log) {
        this.wait = wait;
        this.config = config;
        this.sessions = sessions;
        this.c = c;
        this.plan = plan;
        this.order = order;
        this.log = log;
        this.cdc = new CdcProgress(c, config.cdc().slotName(), wait, log);
    }

    private TableName table() {
        return plan.tview().table();
    }

    private List<Step> steps(RefreshMode from, RefreshMode to) {
        List<Step> steps = new ArrayList<>();
        String name = plan.tview().name();
        if (to == RefreshMode.CDC) {
            steps.add(new Step("publish-tables", "ALTER PUBLICATION " + TableName.quote(config.cdc().publicationName())
                    + " ADD TABLE <each of " + plan.mappings().keySet() + " not yet in it>",
                    "none (extra published tables are harmless; the daemon trims the publication at its next start)",
                    this::publish, () -> null));
        }
        if (to == RefreshMode.TRIGGER) {
            steps.add(new Step("install-triggers", String.join(";\n      ", TriggerStatements.install(plan, order, RefreshStatements.Emit.of(config.refresh()))),
                    "drop the triggers and functions of " + name, () -> {
                        TriggerInstaller.install(c, plan, order, RefreshStatements.Emit.of(config.refresh()));
                        return null;
                    }, () -> {
                        TriggerInstaller.remove(c, plan.tview());
                        return null;
                    }));
        }
        if (from == RefreshMode.CDC) {
            steps.add(new Step("drain-cdc", "L = pg_current_wal_lsn(); write tviewd.heartbeat; wait until the daemon's stored CDC "
                    + "position passes L (CDC has handled every change committed before the new driver took over)", "none",
                    this::drain, () -> null));
        }
        steps.add(new Step("switch-mode", "UPDATE tviewd.tview_mode SET mode = '" + to.configName() + "' WHERE tview = '" + table()
                + "'; wait until the running daemon acknowledges it", "UPDATE tviewd.tview_mode SET mode = '" + from.configName()
                + "'; wait for the acknowledgement", () -> switchTo(to), () -> switchTo(from)));
        if (from == RefreshMode.TRIGGER) {
            steps.add(new Step("remove-triggers", "drop the triggers and functions of " + name,
                    "reinstall them: " + String.join("; ", TriggerStatements.install(plan, order, RefreshStatements.Emit.of(config.refresh()))), () -> {
                        TriggerInstaller.remove(c, plan.tview());
                        return null;
                    }, () -> {
                        TriggerInstaller.install(c, plan, order, RefreshStatements.Emit.of(config.refresh()));
                        return null;
                    }));
        }
        if (from == RefreshMode.SCHEDULED || from == RefreshMode.MANUAL || to == RefreshMode.SCHEDULED) {
            steps.add(new Step("reconcile", "tviewd verify " + name + " --repair (catch up what the old driver had not applied)",
                    "none", this::reconcile, () -> null));
        }
        steps.add(new Step("verify", "tviewd verify " + name + " (zero drift expected"
                + (to == RefreshMode.SCHEDULED || to == RefreshMode.MANUAL ? "; reported only, the new mode is stale by design)"
                : to == RefreshMode.CDC ? "; keys differing under writes are rechecked after CDC passes each check)" : ")"),
                "none", () -> verify(to), () -> null));
        return steps;
    }

    /** Prints the whole plan, forward and rollback, and changes nothing. */
    public void dryRun(RefreshMode from, RefreshMode to) {
        List<Step> steps = steps(from, to);
        log.accept("Cutover of " + plan.tview().name() + ": " + from.configName() + " → " + to.configName() + " (dry run: nothing changed)");
        log.accept("Forward:");
        for (int i = 0; i < steps.size(); i++) {
            log.accept("  " + (i + 1) + ". " + steps.get(i).name() + ": " + steps.get(i).forward());
        }
        log.accept("Rollback (reverse order of the steps done):");
        for (int i = steps.size() - 1; i >= 0; i--) {
            log.accept("  " + (i + 1) + ". " + steps.get(i).name() + ": " + steps.get(i).rollback());
        }
    }

    /** Runs a new cutover from the tview's current mode. */
    public void run(RefreshMode from, RefreshMode to) throws Exception {
        List<Step> steps = steps(from, to);
        long id = CutoverJournal.begin(c, table(), from, to, steps.stream().map(Step::name).toList());
        log.accept("Cutover #" + id + " of " + plan.tview().name() + ": " + from.configName() + " → " + to.configName());
        execute(id, steps, 0);
    }

    /** Continues an interrupted cutover from its first step not done. */
    public void resume(CutoverJournal.Entry open) throws Exception {
        List<Step> steps = steps(open.from(), open.to());
        List<CutoverJournal.StepRow> rows = CutoverJournal.steps(c, open.id());
        int first = 0;
        while (first < rows.size() && "done".equals(rows.get(first).status())) {
            first++;
        }
        log.accept("Resuming cutover #" + open.id() + " of " + plan.tview().name() + " at step " + (first + 1));
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + CutoverJournal.CUTOVERS + " SET status = 'running', error = NULL WHERE id = ?")) {
            ps.setLong(1, open.id());
            ps.executeUpdate();
        }
        execute(open.id(), steps, first);
    }

    /** Undoes the done steps of an interrupted cutover, last first. */
    public void rollback(CutoverJournal.Entry open) throws Exception {
        List<Step> steps = steps(open.from(), open.to());
        List<CutoverJournal.StepRow> rows = CutoverJournal.steps(c, open.id());
        log.accept("Rolling back cutover #" + open.id() + " of " + plan.tview().name() + " (" + open.from().configName() + " → "
                + open.to().configName() + ")");
        for (int i = rows.size() - 1; i >= 0; i--) {
            if ("pending".equals(rows.get(i).status())) {
                continue;
            }
            Step s = steps.get(i);
            log.accept("  undo " + (i + 1) + ". " + s.name() + ": " + s.rollback());
            withLockRetries(s.undo());
            CutoverJournal.step(c, open.id(), i + 1, "undone", null, null);
        }
        CutoverJournal.finish(c, open.id(), "rolled_back", null);
        log.accept("Rolled back: " + plan.tview().name() + " is in mode " + open.from().configName() + " again.");
    }

    private void execute(long id, List<Step> steps, int first) throws Exception {
        for (int i = first; i < steps.size(); i++) {
            Step s = steps.get(i);
            CutoverJournal.step(c, id, i + 1, "running", null, null);
            try {
                String lsn = withLockRetries(s.run());
                CutoverJournal.step(c, id, i + 1, "done", lsn, null);
                log.accept("  " + (i + 1) + ". " + s.name() + ": done" + (lsn == null ? "" : " (LSN " + lsn + ")"));
            } catch (Exception e) {
                CutoverJournal.step(c, id, i + 1, "failed", null, e.getMessage());
                CutoverJournal.finish(c, id, "failed", s.name() + ": " + e.getMessage());
                throw new IllegalStateException("cutover #" + id + " of " + plan.tview().name() + " failed at step " + (i + 1) + " ("
                        + s.name() + "): " + e.getMessage() + ". Fix the cause and run `tviewd cutover " + plan.tview().name()
                        + " --resume`, or undo it with `tviewd cutover " + plan.tview().name() + " --rollback`", e);
            }
        }
        CutoverJournal.finish(c, id, "done", null);
        log.accept("Cutover #" + id + " done.");
    }

    /**
     * Steps are idempotent: a deadlock or lock timeout against writers (DDL needs each base table to itself for
     * a moment) is retried with growing pauses, for as long as a step may wait ({@code --wait}).
     */
    private String withLockRetries(Action action) throws Exception {
        long deadline = System.nanoTime() + wait.toNanos();
        for (int attempt = 1; ; attempt++) {
            try {
                return action.apply();
            } catch (SQLException e) {
                boolean lock = "40P01".equals(e.getSQLState()) || "55P03".equals(e.getSQLState());
                if (!lock || System.nanoTime() > deadline) {
                    throw lock ? new SQLException(e.getMessage() + " (still after " + attempt + " attempts in " + wait.toSeconds()
                            + " s: writers kept the base tables locked)", e.getSQLState(), e) : e;
                }
                Thread.sleep(Math.min(1000, 50L * attempt));
            }
        }
    }

    private String publish() throws SQLException {
        List<String> have = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = ?")) {
            ps.setString(1, config.cdc().publicationName());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    have.add(new io.tviewd.connectors.TableName(rs.getString(1), rs.getString(2)).toString());
                }
            }
        }
        try (Statement s = c.createStatement()) {
            for (TableName t : plan.mappings().keySet()) {
                if (!have.contains(t.toString())) {
                    s.execute("ALTER PUBLICATION " + TableName.quote(config.cdc().publicationName()) + " ADD TABLE " + t.quoted());
                }
            }
        }
        return currentLsn();
    }

    /** Waits until the daemon's stored CDC position passes the current WAL position. */
    private String drain() throws Exception {
        String target = currentLsn();
        drainTo(target);
        return target;
    }

    private String switchTo(RefreshMode mode) throws Exception {
        ModeStore.set(c, table(), mode);
        if (!daemonRunning()) {
            log.accept("     (the daemon is not running: it applies the mode at its next start)");
            return currentLsn();
        }
        long deadline = System.nanoTime() + wait.toNanos();
        while (ModeStore.acknowledged(c, table()) != mode) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the running daemon did not acknowledge mode " + mode.configName() + " within "
                        + wait.toSeconds() + " s");
            }
            Thread.sleep(50);
        }
        return currentLsn();
    }

    private String reconcile() throws Exception {
        List<RefreshPlan> all;
        try (Connection c = sessions.open("tviewd-cutover")) {
            all = io.tviewd.connectors.postgres.plan.TviewPlans.read(c, config).plans();
        }
        TviewMaintenance.Verified v = TviewMaintenance.verify(sessions, config.refresh(), plan.tview(), true, 1000, n -> { }, all);
        log.accept("     reconciled: " + v.repaired() + " keys repaired");
        return null;
    }

    /**
     * Verifies after the switch. Trigger mode is exact at every snapshot, so its first check decides. A
     * CDC-refreshed tview under concurrent writes trails its view by the changes in flight, which is lag, not
     * drift; see {@link CdcProgress#settle}.
     */
    private String verify(RefreshMode to) throws Exception {
        if (to == RefreshMode.SCHEDULED || to == RefreshMode.MANUAL) {
            var r = TviewMaintenance.verify(sessions, config.refresh(), plan.tview(), false, 1000, n -> { }, List.of()).report();
            log.accept("     verify: " + (r.drift() ? "missing " + r.missing() + ", extra " + r.extra() + ", differing " + r.differing()
                    + " (writes after the switch wait for the next " + (to == RefreshMode.SCHEDULED ? "scheduled run" : "manual refresh")
                    + ")" : "no drift"));
            return null;
        }
        if (to == RefreshMode.CDC) {
            drain();
        }
        Set<String> found = new TreeSet<>();
        try (Connection v = sessions.open("tviewd-cutover-verify", config.refresh().statementTimeout())) {
            TviewVerifier.verify(v, plan.tview(), 1000, (diff, n) -> found.addAll(diff));
        }
        Set<String> drift = to == RefreshMode.CDC ? cdc.settle(plan.tview(), found) : found;
        if (!drift.isEmpty()) {
            throw new IllegalStateException("verify found drift after the switch: " + drift.size() + " keys, e.g. "
                    + drift.stream().limit(10).toList());
        }
        log.accept("     verify: no drift" + (found.isEmpty() ? "" : " (" + found.size() + " keys seen differing were changes in flight)"));
        return null;
    }

    private boolean daemonRunning() throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT active FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, config.cdc().slotName());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    private void drainTo(String target) throws Exception {
        cdc.drainTo(target);
    }

    private String currentLsn() throws SQLException {
        return CdcProgress.currentLsn(c);
    }
}
