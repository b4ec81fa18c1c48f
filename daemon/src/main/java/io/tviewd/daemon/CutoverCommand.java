package io.tviewd.daemon;

import java.sql.Connection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

import io.tviewd.config.RefreshMode;
import io.tviewd.config.TviewdConfig;
import io.tviewd.connectors.TableName;
import io.tviewd.connectors.postgres.CutoverJournal;
import io.tviewd.connectors.postgres.ModeStore;
import io.tviewd.connectors.postgres.PostgresSessions;
import io.tviewd.connectors.postgres.RefreshPlan;
import io.tviewd.connectors.postgres.StateSchema;
import io.tviewd.connectors.postgres.TviewPlans;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tviewd cutover TVIEW --to MODE [--dry-run|--resume|--rollback]}: switch a tview's refresh mode without a gap. */
@Command(name = "cutover", mixinStandardHelpOptions = true,
        description = "Switch a tview between trigger, scheduled, cdc and manual, make-before-break, journaled in schema tviewd.")
final class CutoverCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "TVIEW", description = "tv_post or schema.tv_post")
    String tview;

    @Option(names = "--to", paramLabel = "MODE", description = "trigger, scheduled, cdc or manual")
    String to;

    @Option(names = "--dry-run", description = "Print every step and statement, forward and rollback; change nothing.")
    boolean dryRun;

    @Option(names = "--resume", description = "Continue an interrupted cutover.")
    boolean resume;

    @Option(names = "--rollback", description = "Undo the done steps of an interrupted cutover.")
    boolean rollback;

    @Option(names = "--wait", paramLabel = "DURATION", defaultValue = "60s",
            description = "How long a step waits for the running daemon (default: ${DEFAULT-VALUE}).")
    String waitText;

    @Mixin
    DatabaseOptions database;

    @Override
    public Integer call() throws Exception {
        TviewdConfig cfg = database.load();
        if (cfg == null) {
            return Main.EXIT_CONFIG;
        }
        RefreshMode target = null;
        if (to != null) {
            try {
                target = RefreshMode.parse(to);
            } catch (IllegalArgumentException e) {
                System.err.println("Invalid value '" + to + "' for '--to': must be one of trigger, scheduled, cdc, manual");
                return Main.EXIT_CONFIG;
            }
        }
        if ((resume ? 1 : 0) + (rollback ? 1 : 0) + (target != null ? 1 : 0) != 1) {
            System.err.println("Invalid command line: give exactly one of --to MODE, --resume, --rollback");
            return Main.EXIT_CONFIG;
        }
        java.time.Duration wait;
        try {
            wait = io.tviewd.config.Durations.parse("--wait", waitText);
        } catch (io.tviewd.config.ConfigException e) {
            System.err.println(e.getMessage());
            return Main.EXIT_CONFIG;
        }
        try {
            return run(cfg, tview, target, dryRun, resume, rollback, wait, System.out::println);
        } catch (IllegalStateException e) {
            System.err.println("tviewd: " + e.getMessage());
            return Main.EXIT_FAILURE;
        }
    }

    /** Shared by the CLI and {@code POST /api/v1/tviews/{name}/cutover}. */
    static int run(TviewdConfig cfg, String name, RefreshMode target, boolean dryRun, boolean resume, boolean rollback,
                   java.time.Duration wait, Consumer<String> log) throws Exception {
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
                return Main.EXIT_OK;
            }
            if (open != null) {
                throw new IllegalStateException("cutover #" + open.id() + " of " + plan.tview().name() + " (" + open.from().configName()
                        + " → " + open.to().configName() + ") is unfinished: run `tviewd cutover " + name + " --resume` or `--rollback` first");
            }
            RefreshMode from = modes.get(plan.tview().table()).mode();
            if (from == target) {
                log.accept(plan.tview().name() + " is already in mode " + target.configName() + ": nothing to do.");
                return Main.EXIT_OK;
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
            return Main.EXIT_OK;
        }
    }
}
