package io.tviewd.daemon.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.tviewd.config.ConfigException;
import io.tviewd.config.ConfigLoader;
import io.tviewd.config.TviewdConfig;
import io.tviewd.daemon.Daemon;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code tviewd run --config FILE}: the daemon against an existing PostgreSQL, until SIGTERM or Ctrl-C. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run the daemon against an existing PostgreSQL (wal_level=logical) until SIGTERM/Ctrl-C.")
final class RunCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);

    @Mixin
    DatabaseOptions database;

    @Override
    public Integer call() throws Exception {
        TviewdConfig cfg = database.load();
        return cfg == null ? Main.EXIT_CONFIG : runUntilSignal(cfg);
    }

    /**
     * Loads the configuration of a command that works on an existing database; prints the report and
     * returns null when it is invalid or names no database.
     */
    static TviewdConfig loadForDatabase(Path file) {
        TviewdConfig cfg;
        try {
            cfg = ConfigLoader.load(file, System.getenv());
        } catch (ConfigException e) {
            System.err.println(e.getMessage());
            return null;
        }
        if (cfg.database().isEmbedded()) {
            System.err.println("Invalid configuration (1 problem):\n  - Missing value for 'database.url': this command needs "
                    + "the JDBC URL of an existing PostgreSQL (set database.url or TVIEWD_DATABASE_URL); "
                    + "`tviewd demo` runs on an embedded one");
            return null;
        }
        return cfg;
    }

    /** Starts a daemon and keeps it running until a signal or until CDC dies. Shared with {@code demo}. */
    static int runUntilSignal(TviewdConfig cfg) throws Exception {
        SignalLatch signals = new SignalLatch().install();
        try (Daemon daemon = new Daemon(cfg)) {
            try {
                daemon.start();
            } catch (IllegalStateException e) {
                System.err.println("tviewd: " + e.getMessage());
                return Main.EXIT_FAILURE;
            }
            daemon.stopped().whenComplete((v, e) -> signals.release());
            signals.await(Long.MAX_VALUE);
            if (daemon.stopped().isCompletedExceptionally()) {
                System.err.println("tviewd: stopped: " + rootMessage(daemon.stopped()));
                return Main.EXIT_FAILURE;
            }
            LOG.info("{} received: finishing the in-flight batch and stopping", signals.signal());
        }
        return Main.EXIT_OK;
    }

    static String rootMessage(java.util.concurrent.CompletableFuture<?> f) {
        try {
            f.join();
            return "stopped";
        } catch (Exception e) {
            Throwable t = e.getCause() != null ? e.getCause() : e;
            return t.getMessage();
        }
    }
}
