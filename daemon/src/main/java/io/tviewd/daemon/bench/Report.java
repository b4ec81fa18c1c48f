package io.tviewd.daemon.bench;

import static io.tviewd.daemon.bench.Figures.machine;
import static io.tviewd.daemon.bench.Figures.ms2;
import static io.tviewd.daemon.bench.Figures.ms3;
import static io.tviewd.daemon.bench.Figures.msText;
import static io.tviewd.daemon.bench.Figures.num;
import static io.tviewd.daemon.bench.Figures.num0;
import static io.tviewd.daemon.bench.Figures.num1;
import static io.tviewd.daemon.bench.Figures.num2;
import static io.tviewd.daemon.bench.Figures.seconds;

import java.io.IOException;
import java.nio.file.Files;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The benchmark's results: one CSV row per measured run, and {@code BENCHMARKS.md} with the machine, versions, date,
 * the tables, ratios and each target of the performance issue as met or missed. Everything below the line
 * {@value #NOTES} of an existing {@code BENCHMARKS.md} (profiles, explanations written by hand) is kept.
 */
public final class Report {

    public static final String NOTES = "<!-- notes: kept across runs -->";

    private record Row(String phase, String mode, String workload, int writers, double targetRate, Writers.Result writes,
                       Percentiles freshness, double convergeMs, double cpuSeconds) {
    }

    private final Benchmark.Options options;
    private final List<Row> rows = new ArrayList<>();
    private final Map<String, Double> heap = new LinkedHashMap<>();
    private Dataset dataset;
    private String server = "?";
    private String durability = "?";
    private Percentiles idle = Percentiles.NONE;
    private long firstStartMs = -1;
    private long restartMs = -1;
    private long backlogChanges;
    private long backlogReadyMs = -1;
    private double backlogSeconds = Double.NaN;
    private double backlogCpu = Double.NaN;
    private double backlogHeap = Double.NaN;

    Report(Benchmark.Options options) {
        this.options = options;
    }

    void dataset(Dataset d) {
        dataset = d;
    }

    /** The server's version and its durability settings, as the server reports them ({@code SHOW fsync}). */
    void server(String version, String fsync, String synchronousCommit) {
        server = version;
        durability = "fsync " + fsync + ", synchronous_commit " + synchronousCommit;
    }

    void writers(String mode, Workload w, int n, Writers.Result r, Percentiles lag, double converge, double cpu) {
        rows.add(new Row("writers", mode, w.name(), n, 0, r, lag, converge, cpu));
    }

    /** Seconds each warm-up took and its compiler's share of the last slice (see {@link WarmUp}). */
    private final List<double[]> warmUps = new ArrayList<>();

    void warmUp(double seconds, double jitShare) {
        warmUps.add(new double[] {seconds, jitShare});
    }

    /** A ratio as how much more it is: +19%, or −10% when less. */
    private static String percentMore(double ratio) {
        double pct = (ratio - 1) * 100;
        return (pct < 0 ? "−" + num0(-pct) : "+" + num0(pct)) + "%";
    }

    void idle(Percentiles p) {
        idle = p;
        rows.add(new Row("idle", "cdc", "probe", 1, 0, new Writers.Result(p.count(), 1), p, Double.NaN, Double.NaN));
    }

    void rate(int rate, Writers.Result r, Percentiles p, double converge, double cpu, boolean events) {
        rows.add(new Row("rate", events ? "cdc" : "cdc-events-off", "MIX", 8, rate, r, p, converge, cpu));
    }

    void storm(boolean events, Writers.Result r, Percentiles p, double converge, double cpu) {
        rows.add(new Row("storm", events ? "cdc" : "cdc-events-off", "W4", 1, 0, r, p, converge, cpu));
    }

    private final List<String> deaths = new ArrayList<>();

    /** The daemon exited during a run (out of memory, say): the report lists it. */
    void died(String mode, Workload w, int n, String log) {
        deaths.add(mode + " " + w + " with " + n + " writer" + (n > 1 ? "s" : "") + " (log " + log + ")");
    }

    /** The ClickHouse phase: backfill figures and live freshness (commit → visible in ClickHouse) at a fixed rate. */
    private String clickhouseSkipped;
    private long chBackfillRows = -1;
    private double chBackfillSeconds = Double.NaN;
    private Row chLive;

    void clickhouseSkipped(String why) {
        clickhouseSkipped = why;
    }

    private String chSettled = "";

    /** How long ClickHouse took to finish its merges before the live measurement, and whether it did. */
    void clickhouseSettled(double seconds, boolean done) {
        chSettled = String.format(done ? "; measured after ClickHouse's merges of the copies ended (%.0f s)"
                : "; ClickHouse was still merging the copies %.0f s later", seconds);
    }

    private double[] chSinkLag;

    /** The sink's own lag in the live run (seconds): mean over the run, p50 and p99 of the daemon's recent window. */
    void clickhouseSinkLag(double mean, double p50, double p99) {
        chSinkLag = new double[] {mean, p50, p99};
    }

    void clickhouseBackfill(long rows, double seconds) {
        chBackfillRows = rows;
        chBackfillSeconds = seconds;
    }

    void clickhouseLive(int rate, Writers.Result r, Percentiles p, double converge, double cpu) {
        chLive = new Row("clickhouse", "cdc+clickhouse", "MIX", 8, rate, r, p, converge, cpu);
        rows.add(chLive);
    }

    /** A daemon's heap peak in {@code phase}; when several daemons ran in it, the largest. */
    void heap(String phase, double mb) {
        heap.merge(phase, mb, Math::max);
    }

    void firstStart(long ms) {
        firstStartMs = ms;
    }

    void restart(long ms) {
        restartMs = ms;
    }

    void backlog(long changes, long readyMs, double seconds, double cpu, double heapMb) {
        backlogChanges = changes;
        backlogReadyMs = readyMs;
        backlogSeconds = seconds;
        backlogCpu = cpu;
        backlogHeap = heapMb;
        heap.put("backlog catch-up", heapMb);
    }

    /** The CSV and the markdown. */
    void write() throws IOException {
        StringBuilder csv = new StringBuilder("phase,mode,workload,writers,target_rate,commits,seconds,tps,tps_ratio_vs_none,"
                + "fresh_samples,fresh_p50_ms,fresh_p95_ms,fresh_p99_ms,fresh_max_ms,converge_ms,daemon_cpu_s\n");
        for (Row r : rows) {
            csv.append(String.join(",", r.phase, r.mode, r.workload, Integer.toString(r.writers), num(r.targetRate),
                    Long.toString(r.writes.commits()), num(r.writes.seconds()), num(r.writes.tps()), num(ratio(r)),
                    Integer.toString(r.freshness.count()), num(r.freshness.p50()), num(r.freshness.p95()), num(r.freshness.p99()),
                    num(r.freshness.max()), num(r.convergeMs), num(r.cpuSeconds))).append('\n');
        }
        Files.writeString(options.csv(), csv.toString());
        String notes = "";
        if (Files.exists(options.markdown())) {
            String old = Files.readString(options.markdown());
            int i = old.indexOf(NOTES);
            if (i >= 0) {
                notes = old.substring(i + NOTES.length());
            }
        }
        Files.writeString(options.markdown(), markdown() + "\n" + NOTES + notes);
    }

    private double ratio(Row r) {
        if (!"writers".equals(r.phase) || "none".equals(r.mode)) {
            return Double.NaN;
        }
        Row base = find("writers", "none", r.workload, r.writers);
        return base == null ? Double.NaN : r.writes.tps() / base.writes.tps();
    }

    private Row find(String phase, String mode, String workload, int writers) {
        for (Row r : rows) {
            if (r.phase.equals(phase) && r.mode.equals(mode) && r.workload.equals(workload) && r.writers == writers) {
                return r;
            }
        }
        return null;
    }

    private String markdown() {
        StringBuilder md = new StringBuilder();
        md.append("# tviewd benchmark\n\n");
        md.append("Written by `./tviewd bench");
        if (options.scale() != 1.0) {
            md.append(" --scale ").append(options.scale());
        }
        md.append("` on ").append(ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")))
                .append(". Every figure is measured in this one run; nothing here is asserted by a test.\n\n");
        md.append("| | |\n|---|---|\n");
        md.append("| machine | ").append(Runtime.getRuntime().availableProcessors()).append(" cores, ").append(machine()).append(" |\n");
        md.append("| Java | ").append(System.getProperty("java.vm.name")).append(' ').append(System.getProperty("java.version"))
                .append(" (daemon: -Xmx512m, G1").append(DaemonUnderTest.EXTRA_JAVA_OPTIONS.isEmpty() ? ""
                        : ", " + String.join(" ", DaemonUnderTest.EXTRA_JAVA_OPTIONS)).append(") |\n");
        md.append("| PostgreSQL | ").append(server.replaceAll(" on .*", "")).append(", same host, ").append(durability).append(" |\n");
        md.append("| data | ").append(dataset).append("; `v_post` embeds author, comment count, last 3 comments with their authors |\n");
        md.append("| runs | ").append(seconds(options.duration())).append(" s per measurement, storm ").append(seconds(options.storm()))
                .append(" s; ").append(WarmUp.describe(options, warmUps)).append(" |\n");
        md.append("| tviewd | default configuration (events on unless stated), the daemon in its own JVM |\n\n");

        md.append("## Writers: throughput by refresh method\n\n");
        md.append("Writes/s of each workload with no refresh at all, FraiseQL-style row triggers (`refresh_tv_post(keys)` in the "
                + "writer's transaction), tviewd's trigger mode, and tviewd in cdc mode; the ratio to no refresh in brackets. "
                + "For cdc: freshness (probe, commit → visible) during the run and the time to converge after writes stop.\n\n");
        md.append("| workload | writers | none | FraiseQL triggers | tviewd trigger | tviewd cdc | cdc freshness p50 / p99 / max | converged after |\n");
        md.append("|---|---|---|---|---|---|---|---|\n");
        for (Workload w : Workload.values()) {
            for (int n : new int[] {1, 8}) {
                Row none = find("writers", "none", w.name(), n);
                if (none == null) {
                    continue;
                }
                Row cdc = find("writers", "cdc", w.name(), n);
                md.append("| ").append(w).append(" ").append(w.description).append(" | ").append(n).append(" | ")
                        .append(tps(none)).append(" | ").append(tpsRatio(find("writers", "fraiseql-triggers", w.name(), n)))
                        .append(" | ").append(tpsRatio(find("writers", "tviewd-trigger", w.name(), n))).append(" | ")
                        .append(tpsRatio(cdc)).append(" | ").append(cdc == null ? "" : ms3(cdc.freshness)).append(" | ")
                        .append(cdc == null ? "" : msText(cdc.convergeMs)).append(" |\n");
            }
        }

        md.append("\n## Freshness: commit → row visible in tv_post (independent probe)\n\n");
        md.append("| load | achieved writes/s | samples | p50 | p95 | p99 | max | converged after | daemon CPU s |\n");
        md.append("|---|---|---|---|---|---|---|---|---|\n");
        md.append("| idle | 0 | ").append(idle.count()).append(" | ").append(msText(idle.p50())).append(" | ").append(msText(idle.p95()))
                .append(" | ").append(msText(idle.p99())).append(" | ").append(msText(idle.max())).append(" | | |\n");
        int best = -1;
        for (Row r : rows) {
            if ("rate".equals(r.phase) && "cdc".equals(r.mode)) {
                md.append("| mix at ").append((int) r.targetRate).append("/s, 8 writers | ").append(num0(r.writes.tps())).append(" | ")
                        .append(r.freshness.count()).append(" | ").append(msText(r.freshness.p50())).append(" | ")
                        .append(msText(r.freshness.p95())).append(" | ").append(msText(r.freshness.p99())).append(" | ")
                        .append(msText(r.freshness.max())).append(" | ").append(msText(r.convergeMs)).append(" | ")
                        .append(num1(r.cpuSeconds)).append(" |\n");
                if (r.freshness.p99() < 1000 && r.writes.tps() >= 0.9 * r.targetRate) {
                    best = Math.max(best, (int) r.targetRate);
                }
            }
        }
        md.append("\nHighest tried rate with p99 < 1 s (and reached within 10%): **")
                .append(best < 0 ? "none" : best + " writes/s").append("**.\n");

        md.append("\n## W4 storm: renames of the hot author at full writer speed, 1 writer\n\n");
        md.append("| events | writes/s | freshness p50 / p99 / max during | converged after | daemon CPU s |\n|---|---|---|---|---|\n");
        Row stormOn = find("storm", "cdc", "W4", 1);
        Row stormOff = find("storm", "cdc-events-off", "W4", 1);
        for (Row r : new Row[] {stormOn, stormOff}) {
            if (r != null) {
                md.append("| ").append("cdc".equals(r.mode) ? "on" : "off").append(" | ").append(num0(r.writes.tps())).append(" | ")
                        .append(ms3(r.freshness)).append(" | ").append(msText(r.convergeMs)).append(" | ").append(num1(r.cpuSeconds))
                        .append(" |\n");
            }
        }

        md.append("\n## Cost of events (daemon CPU seconds, same run length)\n\n");
        Row mixOn = null;
        Row mixOff = null;
        for (Row r : rows) {
            if ("rate".equals(r.phase) && "cdc-events-off".equals(r.mode)) {
                mixOff = r;
                mixOn = findRate("cdc", r.targetRate);
            }
        }
        md.append("| load | events on | events off | on / off |\n|---|---|---|---|\n");
        if (mixOn != null && mixOff != null) {
            md.append("| mix at ").append((int) mixOff.targetRate).append("/s | ").append(num1(mixOn.cpuSeconds)).append(" | ")
                    .append(num1(mixOff.cpuSeconds)).append(" | ").append(num2(mixOn.cpuSeconds / mixOff.cpuSeconds)).append(" |\n");
        }
        if (stormOn != null && stormOff != null) {
            md.append("| W4 storm | ").append(num1(stormOn.cpuSeconds)).append(" | ").append(num1(stormOff.cpuSeconds)).append(" | ")
                    .append(num2(stormOn.cpuSeconds / stormOff.cpuSeconds)).append(" |\n");
        }

        md.append("\n## Memory, start-up, backlog\n\n| | |\n|---|---|\n");
        heap.forEach((phase, mb) -> md.append("| heap in use, max (").append(phase).append(") | ").append(num0(mb)).append(" MB |\n"));
        md.append("| first start (creates slot, reconciles tv_post) → ready | ").append(firstStartMs).append(" ms |\n");
        md.append("| restart on existing slot and tviews → ready | ").append(restartMs).append(" ms |\n");
        md.append("| backlog: ").append(String.format(Locale.ROOT, "%,d", backlogChanges))
                .append(" row changes made while down → ready | ").append(backlogReadyMs).append(" ms |\n");
        md.append("| backlog caught up (start → probe visible) | ").append(num1(backlogSeconds)).append(" s, daemon CPU ")
                .append(num1(backlogCpu)).append(" s |\n");

        if (!deaths.isEmpty()) {
            md.append("| **the daemon exited during** | ").append(String.join("; ", deaths)).append(" |\n");
        }

        md.append("\n## ClickHouse sink (tv_post forwarded; a private clickhouse-server on the same host)\n\n");
        if (clickhouseSkipped != null) {
            md.append("Not measured: ").append(clickhouseSkipped).append(".\n");
        } else {
            md.append("| | |\n|---|---|\n");
            md.append("| `tviewd clickhouse backfill tv_post` | ").append(String.format(Locale.ROOT, "%,d", chBackfillRows)).append(" rows in ")
                    .append(num1(chBackfillSeconds)).append(" s: **").append(num0(chBackfillRows / chBackfillSeconds)).append(" rows/s** |\n");
            if (chLive != null) {
                md.append("| commit → visible in ClickHouse (newest version, as FINAL reads it), mix at ").append(num0(chLive.targetRate)).append("/s, 8 writers | ")
                        .append(ms2(chLive.freshness)).append(" (").append(chLive.freshness.count()).append(" samples), p95 ")
                        .append(msText(chLive.freshness.p95())).append(", max ").append(msText(chLive.freshness.max()))
                        .append("; converged ").append(msText(chLive.convergeMs)).append(" after; daemon CPU ").append(num1(chLive.cpuSeconds))
                        .append(" s").append(chSettled).append(" |\n");
                if (chSinkLag != null) {
                    md.append("| of which the sink: refresh commit → acknowledged by ClickHouse (`tviewd_clickhouse_lag_seconds`), same run | mean ")
                            .append(msText(1000 * chSinkLag[0])).append("; p50 ").append(msText(1000 * chSinkLag[1])).append(", p99 ")
                            .append(msText(1000 * chSinkLag[2])).append(" over the daemon's last ~2 minutes; the rest is the refresh of tv_post "
                                    + "itself, on the same two cores as ClickHouse |\n");
                }
            }
        }
        md.append("\n## Targets (performance issue)\n\n| target | measured | |\n|---|---|---|\n");
        target(md, "idle p50 ≤ 10 ms, p99 ≤ 30 ms", ms2(idle), idle.p50() <= 10 && idle.p99() <= 30);
        Row r1000 = findRate("cdc", 1000);
        if (r1000 != null) {
            target(md, "mix at 1,000/s: p50 ≤ 15 ms, p99 ≤ 100 ms", ms2(r1000.freshness),
                    r1000.freshness.p50() <= 15 && r1000.freshness.p99() <= 100);
        }
        target(md, "highest rate with p99 < 1 s ≥ 2,000/s", best < 0 ? "none" : best + "/s", best >= 2000);
        if (stormOn != null) {
            target(md, "W4 storm: lag ≤ 2 s during, converged ≤ 2 s after", "max " + msText(stormOn.freshness.max()) + ", converged "
                    + msText(stormOn.convergeMs), stormOn.freshness.max() <= 2000 && stormOn.convergeMs <= 2000);
        }
        if (mixOn != null && mixOff != null) {
            double x = mixOn.cpuSeconds / mixOff.cpuSeconds;
            target(md, "events cost ≤ 25% more CPU (mix)", percentMore(x), x <= 1.25);
        }
        if (stormOn != null && stormOff != null) {
            double x = stormOn.cpuSeconds / stormOff.cpuSeconds;
            target(md, "events cost ≤ 25% more CPU (storm)", percentMore(x), x <= 1.25);
        }
        for (int n : new int[] {1, 8}) {
            double worst = Double.MAX_VALUE;
            String which = "";
            for (Workload w : List.of(Workload.W1, Workload.W2, Workload.W3, Workload.W4)) {
                Row cdc = find("writers", "cdc", w.name(), n);
                if (cdc != null && ratio(cdc) < worst) {
                    worst = ratio(cdc);
                    which = w.name();
                }
            }
            double goal = n == 1 ? 0.9 : 0.7;
            target(md, "cdc writers keep ≥ " + (int) (goal * 100) + "% of no-refresh TPS, " + n + " writer" + (n > 1 ? "s" : ""),
                    "worst " + which + " " + num0(worst * 100) + "%", worst >= goal);
        }
        double maxHeap = heap.values().stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
        target(md, "heap ≤ 512 MB under any backlog", num0(maxHeap) + " MB", maxHeap <= 512);
        target(md, "ready ≤ 3 s on restart", restartMs + " ms", restartMs >= 0 && restartMs <= 3000);
        if (chBackfillRows >= 0) {
            double rps = chBackfillRows / chBackfillSeconds;
            target(md, "ClickHouse backfill ≥ 50,000 rows/s", num0(rps) + " rows/s", rps >= 50_000);
        }
        if (chLive != null) {
            target(md, "ClickHouse commit → visible p99 ≤ 1 s at " + num0(chLive.targetRate) + "/s", msText(chLive.freshness.p99()),
                    chLive.freshness.p99() <= 1000);
        }
        md.append("\nRaw figures: `").append(options.csv().getFileName()).append("`.\n");
        return md.toString();
    }

    private Row findRate(String mode, double rate) {
        for (Row r : rows) {
            if ("rate".equals(r.phase) && r.mode.equals(mode) && r.targetRate == rate) {
                return r;
            }
        }
        return null;
    }

    private static void target(StringBuilder md, String what, String measured, boolean met) {
        md.append("| ").append(what).append(" | ").append(measured).append(" | ").append(met ? "met" : "**missed**").append(" |\n");
    }

    private String tps(Row r) {
        return r == null ? "" : num0(r.writes.tps());
    }

    private String tpsRatio(Row r) {
        return r == null ? "" : num0(r.writes.tps()) + " (" + num0(ratio(r) * 100) + "%)";
    }
}
