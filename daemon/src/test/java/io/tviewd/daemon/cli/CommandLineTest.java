package io.tviewd.daemon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tviewd.daemon.support.Cli;

/** The CLI's answers to bad input: exit code 2 and a report naming key, value and rule; no stack trace. */
class CommandLineTest {

    private static Cli.Result run(String... args) {
        return Cli.run(args);
    }

    @Test
    void run_badConfigFile_exits2AndReportsEveryProblemWithSecretsMasked(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("bad.yaml");
        Files.writeString(cfg, """
                database:
                  url: jdbc:postgresql://127.0.0.1:5432/app
                  password: [topsecret]
                cdc:
                  poll-interval: fast
                htpp:
                  port: 1
                """);
        Cli.Result r = run("run", "--config", cfg.toString());
        assertThat(r.code()).isEqualTo(Main.EXIT_CONFIG);
        assertThat(r.err())
                .contains("Invalid configuration (3 problems):")
                .contains("Unknown key 'htpp' in " + cfg + ": not a tviewd setting")
                .contains("Invalid value '****' for 'database.password' (from " + cfg + "): expected a string")
                .contains("Invalid value 'fast' for 'cdc.poll-interval' (from " + cfg + "): expected a duration like 10ms, 5s, 2m or PT0.01S")
                .doesNotContain("topsecret")
                .doesNotContain("\tat ");
    }

    @Test
    void run_withoutDatabaseUrl_exits2NamingTheKey(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("empty.yaml");
        Files.writeString(cfg, "http:\n  port: 0\n");
        Cli.Result r = run("run", "--config", cfg.toString());
        assertThat(r.code()).isEqualTo(Main.EXIT_CONFIG);
        assertThat(r.err()).contains("Missing value for 'database.url'").contains("TVIEWD_DATABASE_URL");
    }

    @Test
    void run_missingConfigFile_exits2NamingTheFile() {
        Cli.Result r = run("run", "--config", "/nonexistent/tviewd.yaml");
        assertThat(r.code()).isEqualTo(Main.EXIT_CONFIG);
        assertThat(r.err()).contains("Config file '/nonexistent/tviewd.yaml' does not exist");
    }

    @Test
    void run_unreachableDatabase_exits1WithAClearMessage(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("unreachable.yaml");
        Files.writeString(cfg, "database:\n  url: jdbc:postgresql://127.0.0.1:1/app\nhttp:\n  port: 0\n");
        Cli.Result r = run("run", "--config", cfg.toString());
        assertThat(r.code()).isEqualTo(Main.EXIT_FAILURE);
        assertThat(r.err()).contains("tviewd: ").contains("127.0.0.1:1").doesNotContain("\tat ");
    }

    @Test
    void demo_badOptions_exit2WithEveryProblem() {
        Cli.Result r = run("demo", "--duration", "soon", "--rate", "0");
        assertThat(r.code()).isEqualTo(Main.EXIT_CONFIG);
        assertThat(r.err()).contains("Invalid value 'soon' for '--duration': expected a duration like 10ms, 5s, 2m or PT0.01S");
    }

    @Test
    void noCommand_exits2WithUsage() {
        Cli.Result r = run();
        assertThat(r.code()).isEqualTo(Main.EXIT_CONFIG);
        assertThat(r.err()).contains("Missing command").contains("Usage: tviewd");
    }
}
