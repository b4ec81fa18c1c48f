package io.tviewd.daemon.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** How the benchmark writes its figures (milliseconds, rates, ratios) and the machine it ran on. */
final class Figures {

    private Figures() {
    }

    static String ms(Percentiles p) {
        return String.format(Locale.ROOT, "p50 %s, p95 %s, p99 %s, max %s (%d samples)", msText(p.p50()), msText(p.p95()),
                msText(p.p99()), msText(p.max()), p.count());
    }

    static String ms3(Percentiles p) {
        return p.count() == 0 ? "" : msText(p.p50()) + " / " + msText(p.p99()) + " / " + msText(p.max());
    }

    static String ms2(Percentiles p) {
        return "p50 " + msText(p.p50()) + ", p99 " + msText(p.p99());
    }

    static String msText(double ms) {
        if (Double.isNaN(ms)) {
            return "";
        }
        if (Double.isInfinite(ms)) {
            return "> 60 s";
        }
        return ms >= 1000 ? String.format(Locale.ROOT, "%.1f s", ms / 1000) : String.format(Locale.ROOT, "%.1f ms", ms);
    }

    static String num(double v) {
        return Double.isNaN(v) ? "" : Double.isInfinite(v) ? "inf" : String.format(Locale.ROOT, "%.3f", v);
    }

    static String num0(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%,.0f", v);
    }

    static String num1(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.1f", v);
    }

    static String num2(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.2f", v);
    }

    static long seconds(java.time.Duration d) {
        return d.toSeconds();
    }

    static String machine() {
        String cpu = "?";
        String mem = "?";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal")) {
                    mem = Math.round(Long.parseLong(line.replaceAll("\\D", "")) / 1024.0 / 1024.0) + " GiB";
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: the report says '?'
        }
        return cpu + ", " + mem + ", " + System.getProperty("os.name") + " " + System.getProperty("os.version");
    }
}
