package io.tviewd.connectors.postgres.refresh;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import io.tviewd.connectors.TableName;

/**
 * Why a refresh ran, carried into every event it emits: the driver ({@code cdc}, {@code trigger},
 * {@code scheduled}, {@code manual}, {@code repair}, {@code populate}), the base tables whose changes
 * caused it and the source transactions (at most {@link #MAX_TXIDS}; {@code truncated} says more existed).
 */
public record RefreshCause(String mode, List<String> sources, List<Long> txids, boolean truncated) {

    /** Source transaction ids kept per refresh; events of big batches say {@code truncated} instead of growing. */
    public static final int MAX_TXIDS = 64;

    public RefreshCause {
        sources = List.copyOf(sources);
        txids = List.copyOf(txids);
    }

    /** A cause with no source information (scheduled, manual, repair, populate). */
    public static RefreshCause of(String mode) {
        return new RefreshCause(mode, List.of(), List.of(), false);
    }

    /** A cause from changed tables and their transactions; txids beyond {@link #MAX_TXIDS} are counted as truncated. */
    public static RefreshCause of(String mode, Set<TableName> tables, Set<Long> txids) {
        List<Long> sorted = new TreeSet<>(txids).stream().filter(x -> x >= 0).toList();
        boolean truncated = sorted.size() > MAX_TXIDS;
        return new RefreshCause(mode, tables.stream().map(TableName::toString).sorted().toList(),
                truncated ? sorted.subList(0, MAX_TXIDS) : sorted, truncated);
    }

    /** The JSON text bound to the refresh statement ({@code {"m":…,"s":[…],"x":[…],"xt":…}}). */
    public String json() {
        return "{\"m\":\"" + mode + "\",\"s\":[" + sources.stream().map(s -> "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"")
                .collect(Collectors.joining(",")) + "],\"x\":[" + txids.stream().map(String::valueOf).collect(Collectors.joining(","))
                + "],\"xt\":" + truncated + "}";
    }
}
