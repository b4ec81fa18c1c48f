package io.tviewd.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/** The main job, as the README runs it: {@code demo --duration} on its own embedded PostgreSQL. */
class DemoIT {

    @Test
    void demo_withDuration_runsWorkloadAndExitsZeroWhenTviewsEqualViews() {
        PrintStream oldOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.execute("demo", "--duration", "8s", "--port", "0", "--rate", "300");
        } finally {
            System.setOut(oldOut);
        }
        String console = out.toString(StandardCharsets.UTF_8);
        System.out.println(console);
        assertThat(code).as("exit code; console:\n%s", console).isZero();
        assertThat(console)
                .contains("Starting embedded PostgreSQL 17")
                .containsPattern("\\[ +\\d+s\\] writes +\\d+/s  changes +\\d+/s  rows refreshed +\\d+/s  lag +\\d+ ms")
                .contains("OK    tv_post")
                .contains("OK    tv_user")
                .contains("OK    ta_post")
                .contains("Every tview equals its source view.")
                .contains("Embedded PostgreSQL stopped.");
    }
}
