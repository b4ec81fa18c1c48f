package io.tviewd.daemon.bench;

import java.util.Arrays;
import java.util.List;

/** Percentiles of latency samples in milliseconds (nearest rank). */
record Percentiles(int count, double p50, double p95, double p99, double max) {

    static final Percentiles NONE = new Percentiles(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);

    static Percentiles of(List<Double> samples) {
        if (samples.isEmpty()) {
            return NONE;
        }
        double[] s = samples.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(s);
        return new Percentiles(s.length, rank(s, 0.50), rank(s, 0.95), rank(s, 0.99), s[s.length - 1]);
    }

    private static double rank(double[] sorted, double q) {
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
}
