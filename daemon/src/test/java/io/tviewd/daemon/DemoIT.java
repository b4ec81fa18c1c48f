package io.tviewd.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import io.tviewd.daemon.support.Cli;

/** The main job, as the README runs it: {@code demo --duration} on its own embedded PostgreSQL. */
class DemoIT {

    @Test
    void demo_withDuration_runsWorkloadAndExitsZeroWhenTviewsEqualViews() {
        Cli.Result r = Cli.run("demo", "--duration", "8s", "--port", "0", "--rate", "300");
        String console = r.out();
        System.out.println(console);
        assertThat(r.code()).as("exit code; console:\n%s", console).isZero();
        assertThat(console)
                .contains("Starting embedded PostgreSQL 17")
                .containsPattern("\\[ +\\d+s\\] writes +\\d+/s  changes +\\d+/s  rows refreshed +\\d+/s  events +\\d+/s  lag +\\d+ ms")
                .containsPattern("events +[1-9]\\d*/s")
                .contains("OK    tv_post")
                .contains("OK    tv_user")
                .contains("OK    ta_post")
                .contains("Every tview equals its source view.")
                .contains("Embedded PostgreSQL stopped.");
    }
}
