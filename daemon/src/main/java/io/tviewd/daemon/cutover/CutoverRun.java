package io.tviewd.daemon.cutover;

import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import io.tviewd.config.RefreshMode;
import io.tviewd.config.TviewdConfig;
import io.tviewd.connectors.TableName;
import io.tviewd.connectors.postgres.PostgresSessions;
import io.tviewd.connectors.postgres.plan.RefreshPlan;
import io.tviewd.connectors.postgres.plan.TviewPlans;
import io.tviewd.connectors.postgres.state.CutoverJournal;
import io.tviewd.connectors.postgres.state.ModeStore;
import io.tviewd.connectors.postgres.state.StateSchema;

/** One cutover request, as the CLI ({@code tviewd cutover}) and the API ({@code POST /api/v1/tviews/{name}/cutover}) make it. */
public final class CutoverRun {

    private CutoverRun() {
    }

    /**
     * Runs, resumes, rolls back or dry-runs the cutover of tview {@code name}; each step's log line goes to {@code log}.
     *
     * @throws IllegalStateException with the reason when the cutover cannot start or a step fails
     */
    public static void execute(TviewdConfig cfg, String name, RefreshMode target, boolean dryRun, boolean resume, boolean rollback,
                               Duration wait, Consumer<String> log) throws Exception {
        PostgresSessions sessions = new PostgresSessions(cfg.database());
        try (Connection c = sessions.open("tviewd-cutover")) {
            StateSchema.install(c);
            TviewPlans plans = TviewPlans.read(c, cfg);
            RefreshPlan plan = plans.find(name).orElseThrow(() -> new IllegalStateException("no tview named '" + name + "'; known: "
                    + plans.plans().stream().map(p -> p.tview().name()).toList()));
            int order = plans.plans().indexOf(plan) + 1;
            Map<TableName, ModeStore.Mode> modes = ModeStore.sync(c, plans.plans(), cfg.refresh(), cfg.tviews(),
                    cfg.discovery().schemas().get(0));
            Cutover cutover = new Cutover(cfg, sessions, c, plan, order, wait, log);
            CutoverJournal.Entry open = CutoverJournal.open(c, plan.tview().table());
            if (resume || rollback) {
                if (open == null) {
                    throw new IllegalStateException("no interrupted cutover of " + plan.tview().name() + " to " + (resume ? "resume" : "roll back"));
                }
                if (resume) {
                    cutover.resume(open);
                } else {
                    cutover.rollback(open);
                }
                return;
            }
            if (open != null) {
                throw new IllegalStateException("cutover #" + open.id() + " of " + plan.tview().name() + " (" + open.from().configName()
                        + " → " + open.to().configName() + ") is unfinished: run `tviewd cutover " + name + " --resume` or `--rollback` first");
            }
            RefreshMode from = modes.get(plan.tview().table()).mode();
            if (from == target) {
                log.accept(plan.tview().name() + " is already in mode " + target.configName() + ": nothing to do.");
                return;
            }
            if (target == RefreshMode.TRIGGER) {
                List<TableName> notTrigger = plan.tview().dependsOn().stream()
                        .filter(d -> modes.get(d) == null || modes.get(d).mode() != RefreshMode.TRIGGER).toList();
                if (!notTrigger.isEmpty()) {
                    throw new IllegalStateException(plan.tview().name() + " reads " + notTrigger + ", which are not in trigger mode: "
                            + "cut those over to trigger first");
                }
            }
            if (dryRun) {
                cutover.dryRun(from, target);
            } else {
                cutover.run(from, target);
            }
        }
    }
}
