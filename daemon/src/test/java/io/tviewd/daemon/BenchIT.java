package io.tviewd.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.tviewd.daemon.support.Cli;

/**
 * Smoke test of {@code tviewd bench} at a tiny scale: every phase runs and reports. The figures are not checked
 * (they come from the full run on a quiet machine, BENCHMARKS.md), only that each phase measured something.
 */
class BenchIT {

    @Test
    void bench_atTinyScale_runsEveryPhase_andWritesTheReport() throws Exception {
        Path dir = Files.createDirectories(Path.of("target", "bench-smoke"));
        Path md = dir.resolve("BENCHMARKS.md");
        Path csv = dir.resolve("BENCHMARKS.csv");
        Files.writeString(md, "old figures\n" + io.tviewd.daemon.bench.Report.NOTES + "\nhand-written analysis\n");
        Cli.Result r = Cli.run("bench", "--scale", "0.005", "--duration", "1s", "--warmup", "1s", "--storm", "1s", "--backlog", "500",
                "--rates", "50", "--jar", Path.of("target", "tviewd.jar").toString(), "--out", md.toString(), "--csv", csv.toString());
        assertThat(r.code()).as(r.out() + r.err()).isZero();

        List<String[]> rows = Files.readAllLines(csv).stream().skip(1).map(l -> l.split(",", -1)).toList();
        for (String mode : List.of("none", "fraiseql-triggers", "tviewd-trigger", "cdc")) {
            for (String workload : List.of("W1", "W2", "W3", "W4", "MIX")) {
                for (String writers : List.of("1", "8")) {
                    assertThat(rows).as("%s %s %s writers", mode, workload, writers)
                            .anySatisfy(row -> {
                                assertThat(Arrays.asList(row).subList(0, 4)).containsExactly("writers", mode, workload, writers);
                                assertThat(Long.parseLong(row[5])).as("commits").isPositive();
                            });
                }
            }
        }
        // cdc runs were followed by a probe that saw the row, so they converged
        assertThat(rows).filteredOn(row -> row[1].equals("cdc") && row[0].equals("writers")).allSatisfy(row ->
                assertThat(row[14].equals("inf") || Double.parseDouble(row[14]) >= 0).as("converge ms %s", row[14]).isTrue());
        assertThat(rows).anySatisfy(row -> assertThat(row[0] + row[1]).isEqualTo("idlecdc"));
        assertThat(rows).anySatisfy(row -> assertThat(row[0] + row[1]).isEqualTo("stormcdc-events-off"));
        // the ClickHouse phase ran against a private clickhouse-server: commit → ClickHouse samples were taken
        assertThat(rows).anySatisfy(row -> {
            assertThat(row[0] + row[1]).isEqualTo("clickhousecdc+clickhouse");
            assertThat(Integer.parseInt(row[9])).as("samples").isPositive();
        });

        String report = Files.readString(md);
        assertThat(report).contains("## Writers: throughput by refresh method", "## Freshness", "## W4 storm", "## Cost of events",
                        "## Memory, start-up, backlog", "## ClickHouse sink", "ClickHouse backfill ≥ 50,000 rows/s", "## Targets",
                        // the live ClickHouse figure is split: the sink's own part, as the daemon measures it
                        "| of which the sink: refresh commit → acknowledged by ClickHouse")
                // the embedded server is durable, as the report says (zonky's default is fsync off)
                .contains("same host, fsync on, synchronous_commit on")
                // every daemon was warmed up until its JIT compiler settled, or the report says it did not
                .containsPattern("warm-up: the mix at 50/s for at least 1 s, then until the daemon's JIT compiler works less than 5% of 1 s "
                        + "\\(at most 4 s in all\\); [4-9] warm-ups took [0-9]+–[0-9]+ s, the compiler at most")
                .doesNotContain("old figures")
                .endsWith(io.tviewd.daemon.bench.Report.NOTES + "\nhand-written analysis\n");

        // each measured run left where PostgreSQL spent it, beside the daemon logs
        String logs = r.out().lines().filter(l -> l.startsWith("Daemon logs in ")).findFirst().orElseThrow().substring("Daemon logs in ".length());
        Path profile = Path.of(logs, "statements-cdc-MIX-8-at-50.txt");
        assertThat(profile).exists();
        assertThat(Files.readString(profile)).contains("calls", "v_post");
    }

    @Test
    void bench_withAnUnknownPhase_namesItAndTheChoices() throws Exception {
        Cli.Result r = Cli.run("bench", "--phases", "rates,sprint");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("Invalid value 'sprint' for '--phases': expected some of [none, fraiseql, cdc-writers, idle, rates, "
                + "storm, events-off, backlog, trigger, clickhouse]");
    }
}
