package io.tviewd.daemon.cli;

import java.util.concurrent.Callable;

import io.tviewd.config.RefreshMode;
import io.tviewd.config.TviewdConfig;
import io.tviewd.daemon.cutover.CutoverRun;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tviewd cutover TVIEW --to MODE [--dry-run|--resume|--rollback]}: switch a tview's refresh mode without a gap. */
@Command(name = "cutover", mixinStandardHelpOptions = true,
        description = "Switch a tview between trigger, scheduled, cdc and manual, make-before-break, journaled in schema tviewd.")
public final class CutoverCommand implements Callable<Integer> {

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
            CutoverRun.execute(cfg, tview, target, dryRun, resume, rollback, wait, System.out::println);
            return Main.EXIT_OK;
        } catch (IllegalStateException e) {
            System.err.println("tviewd: " + e.getMessage());
            return Main.EXIT_FAILURE;
        }
    }
}
