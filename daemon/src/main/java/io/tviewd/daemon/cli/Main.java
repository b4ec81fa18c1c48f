package io.tviewd.daemon.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code tviewd} executable. Exit codes: 0 success (including a graceful stop on SIGTERM or
 * Ctrl-C); 1 runtime failure (CDC died, database unreachable); 2 invalid configuration or usage;
 * 3 {@code demo} found a tview that differs from its view.
 */
@Command(name = "tviewd", mixinStandardHelpOptions = true, version = "tviewd 0.1.0",
        description = "Keeps FraiseQL table-backed views (tv_/ta_) fresh from PostgreSQL change data capture.",
        subcommands = {RunCommand.class, DemoCommand.class, BenchCommand.class, CheckCommand.class, VerifyCommand.class, PopulateCommand.class, RefreshCommand.class, StatusCommand.class, CutoverCommand.class, ClickHouseCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILURE = 1;
    public static final int EXIT_CONFIG = 2;
    public static final int EXIT_DRIFT = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing command: use `tviewd demo` or `tviewd run --config FILE`");
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs a command line and returns its exit code (used by {@link #main} and tests). */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            commandLine.getErr().println("tviewd: " + ex.getMessage());
            return EXIT_FAILURE;
        });
        cli.setExitCodeExceptionMapper(ex -> ex instanceof CommandLine.ParameterException ? EXIT_CONFIG : EXIT_FAILURE);
        CommandLine.IParameterExceptionHandler usage = cli.getParameterExceptionHandler();
        cli.setParameterExceptionHandler((ex, arguments) -> {
            if (ex instanceof CommandLine.UnmatchedArgumentException u && ex.getCommandLine() == cli && !u.getUnmatched().isEmpty()
                    && !u.getUnmatched().get(0).startsWith("-")) {
                ex.getCommandLine().getErr().println("tviewd: unknown command '" + u.getUnmatched().get(0) + "'; the commands are "
                        + String.join(", ", cli.getSubcommands().keySet()) + " (tviewd --help)");
                return EXIT_CONFIG;
            }
            return usage.handleParseException(ex, arguments);
        });
        return cli.execute(args);
    }
}
