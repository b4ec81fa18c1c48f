package io.tviewd.daemon.pipeline;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

import io.tviewd.config.RefreshConfig;
import io.tviewd.connectors.postgres.PostgresSessions;
import io.tviewd.connectors.postgres.catalog.Tview;
import io.tviewd.connectors.postgres.plan.RefreshPlan;
import io.tviewd.connectors.postgres.refresh.RefreshCause;
import io.tviewd.connectors.postgres.refresh.RefreshRequest;
import io.tviewd.connectors.postgres.refresh.RefreshResult;
import io.tviewd.connectors.postgres.refresh.Refresher;
import io.tviewd.connectors.postgres.refresh.TviewVerifier;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Verify (with optional repair) as one operation shared by the CLI and the HTTP API. Blocking; uses
 * its own sessions, never the CDC pipeline's.
 */
public final class TviewMaintenance {

    /** Verify outcome plus how many keys a repair refreshed. */
    public record Verified(TviewVerifier.Report report, long repaired) {
        public JsonObject toJson() {
            TviewVerifier.Report r = report;
            return new JsonObject().put("tview", r.tview().name()).put("keysChecked", r.keysChecked())
                    .put("drift", r.drift()).put("missing", r.missing()).put("extra", r.extra()).put("differing", r.differing())
                    .put("missingSample", new JsonArray(r.missingSample())).put("extraSample", new JsonArray(r.extraSample()))
                    .put("differingSample", new JsonArray(r.differingSample())).put("repaired", repaired);
        }
    }

    private TviewMaintenance() {
    }

    /**
     * Manual refresh: recompute the given keys, or the whole tview when {@code keys} is null (a diff
     * refresh: only rows that differ are written), in one transaction.
     */
    public static RefreshResult refresh(PostgresSessions sessions, RefreshConfig config, io.tviewd.connectors.postgres.plan.RefreshPlan plan,
                                 List<String> keys) throws SQLException {
        try (Refresher refresher = new Refresher(sessions, config)) {
            return refresher.refresh(List.of(request(plan, keys))).get(0);
        }
    }

    public static Verified verify(PostgresSessions sessions, RefreshConfig config, Tview t, boolean repair, int chunkSize,
                           LongConsumer progress) throws SQLException {
        AtomicLong repaired = new AtomicLong();
        try (Connection c = sessions.open("tviewd-verify", config.statementTimeout());
             Refresher refresher = new Refresher(sessions, config)) {
            TviewVerifier.Report report = TviewVerifier.verify(c, t, chunkSize, (diff, checked) -> {
                if (repair && !diff.isEmpty()) {
                    RefreshResult r = refresher.refresh(List.of(RefreshRequest.keys(t, Set.copyOf(diff), RefreshCause.of("repair")))).get(0);
                    if (r.failed()) {
                        throw new SQLException(r.error());
                    }
                    repaired.addAndGet(diff.size());
                }
                progress.accept(checked);
            });
            return new Verified(report, repaired.get());
        }
    }

    private static Set<String> distinct(List<String> keys) {
        Set<String> out = new LinkedHashSet<>();
        keys.forEach(k -> out.add(k.trim()));
        return out;
    }

    /** A manual refresh of the given keys (trimmed, each once), or of every row when keys is null. */
    public static RefreshRequest request(RefreshPlan plan, List<String> keys) {
        RefreshCause manual = RefreshCause.of("manual");
        return keys == null ? RefreshRequest.full(plan.tview(), manual) : RefreshRequest.keys(plan.tview(), distinct(keys), manual);
    }
}
