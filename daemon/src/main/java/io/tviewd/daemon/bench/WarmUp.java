package io.tviewd.daemon.bench;

import java.time.Duration;
import java.util.function.Consumer;

/**
 * The warm-up between a daemon's start and a measurement. The targets are stated for a warmed-up daemon, and right
 * after a start the daemon's JIT compiler takes most of a core: 14 s of compilation in the first 40 s, still ~1 s per
 * 10 s a minute later (BENCHMARKS.md, notes of 2026-12-04). A fixed warm-up measured the compiler as much as tviewd.
 *
 * <p>Runs the mix at the lowest of {@code --rates} (4 writers) for {@code --warmup}, then in slices of {@link #SLICE}
 * (at most {@code --warmup}) until the daemon's compiler ({@code jvm_compilation_time_ms_total}) worked less than
 * {@link #SETTLED} of a slice, or until {@link #CAP_FACTOR} times {@code --warmup} in all (2 minutes by default); then
 * until tviewd caught up. (At full writer speed it would leave a backlog of minutes.)
 */
final class WarmUp {

    static final Duration SLICE = Duration.ofSeconds(10);
    /** The compiler's share of a slice below which the daemon counts as warmed up. */
    static final double SETTLED = 0.05;
    /** The longest warm-up, in {@code --warmup}s: a daemon whose compiler never settles is measured anyway, and the report says so. */
    static final int CAP_FACTOR = 4;

    private final Benchmark.Options options;
    private final Writers writers;
    private final Consumer<String> log;
    private final Report report;

    WarmUp(Benchmark.Options options, Writers writers, Report report, Consumer<String> log) {
        this.options = options;
        this.writers = writers;
        this.report = report;
        this.log = log;
    }

    /** Warms {@code daemon} up; then, with a {@code probe}, waits until tviewd caught up (at most a minute). */
    void run(DaemonUnderTest daemon, Probe probe) throws Exception {
        if (options.warmup().isZero()) {
            return;
        }
        int rate = options.rates().stream().mapToInt(Integer::intValue).min().orElse(500);
        Duration slice = options.warmup().compareTo(SLICE) < 0 ? options.warmup() : SLICE;
        long cap = options.warmup().toNanos() * CAP_FACTOR;
        long t0 = System.nanoTime();
        writers.run(Workload.MIX, 4, rate, options.warmup());
        double compiled = daemon.compileMillis();
        double share = Double.NaN;
        while (!Double.isNaN(compiled) && System.nanoTime() - t0 < cap) {
            long s0 = System.nanoTime();
            writers.run(Workload.MIX, 4, rate, slice);
            double now = daemon.compileMillis();
            share = (now - compiled) / ((System.nanoTime() - s0) / 1e6);
            compiled = now;
            if (Double.isNaN(share) || share < SETTLED) {
                break;
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        report.warmUp(seconds, share);
        log.accept(String.format("  warm-up %.0f s; the daemon's JIT compiler worked %s of its last %d s", seconds,
                Double.isNaN(share) ? "?" : String.format("%.1f%%", 100 * share), slice.toSeconds()));
        if (probe != null) {
            probe.once(Duration.ofMinutes(1));
        }
    }

    /** The runs' warm-up as done, for the report: its rule, then how long the warm-ups ({seconds, compiler share}) took. */
    static String describe(Benchmark.Options options, java.util.List<double[]> warmUps) {
        int rate = options.rates().stream().mapToInt(Integer::intValue).min().orElse(500);
        String rule = "warm-up: the mix at " + rate + "/s for at least " + Figures.seconds(options.warmup()) + " s, then until the daemon's JIT "
                + "compiler works less than " + Math.round(100 * SETTLED) + "% of " + Math.min(SLICE.toSeconds(),
                options.warmup().toSeconds()) + " s (at most " + Figures.seconds(options.warmup().multipliedBy(CAP_FACTOR)) + " s in all)";
        if (warmUps.isEmpty()) {
            return rule;
        }
        double min = warmUps.stream().mapToDouble(w -> w[0]).min().orElse(0);
        double max = warmUps.stream().mapToDouble(w -> w[0]).max().orElse(0);
        long capped = warmUps.stream().filter(w -> !(w[1] < SETTLED)).count();
        double last = warmUps.stream().mapToDouble(w -> Double.isNaN(w[1]) ? 0 : w[1]).max().orElse(0);
        String took = warmUps.size() == 1 ? String.format("the warm-up took %.0f s", min)
                : String.format("%d warm-ups took %.0f–%.0f s", warmUps.size(), min, max);
        return rule + String.format("; %s, the compiler at most %.1f%% in the last slice", took, 100 * last)
                + (capped == 0 ? "" : "; " + capped + " ended at the cap with the compiler still busy");
    }
}
