package io.tviewd.daemon.pipeline;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

import io.tviewd.config.RefreshConfig;
import io.tviewd.connectors.postgres.PostgresSessions;
import io.tviewd.connectors.postgres.catalog.Tview;
import io.tviewd.connectors.postgres.plan.RefreshPlan;
import io.tviewd.connectors.postgres.refresh.Readers;
import io.tviewd.connectors.postgres.refresh.RefreshCause;
import io.tviewd.connectors.postgres.refresh.RefreshRequest;
import io.tviewd.connectors.postgres.refresh.RefreshResult;
import io.tviewd.connectors.postgres.refresh.Refresher;
import io.tviewd.connectors.postgres.refresh.TviewPopulator;
import io.tviewd.connectors.postgres.refresh.TviewVerifier;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Manual refresh and verify (with optional repair) as operations shared by the CLI and the HTTP API; a change
 * they make to a tview is carried on to the tviews that read it. Blocking; uses its own sessions, never the CDC
 * pipeline's.
 */
public final class TviewMaintenance {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TviewMaintenance.class);

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
    public static RefreshResult refresh(PostgresSessions sessions, RefreshConfig config, RefreshPlan plan, List<String> keys,
                                        List<RefreshPlan> all) throws SQLException {
        RefreshResult r;
        try (Refresher refresher = new Refresher(sessions, config, new Readers(all))) {
            List<RefreshResult> results = refresher.refresh(List.of(request(plan, keys)));
            r = results.get(0);
            logCarried(results.subList(1, results.size()), plan.tview(), "manual");
        }
        if (!r.failed() && r.written() + r.deleted() > 0) {
            refreshDependents(sessions, config, all, plan.tview(), "manual");
        }
        return r;
    }

    /** Logs the refreshes a refresh of {@code inner} carried on to the tviews reading it (see {@link Readers}). */
    static void logCarried(List<RefreshResult> carried, Tview inner, String mode) {
        for (RefreshResult c : carried) {
            if (c.failed()) {
                LOG.error("Tview {}: the {} refresh of {}, which it reads, could not be carried on to it: {}", c.tview().name(), mode,
                        inner.name(), c.error());
            } else {
                LOG.info("Tview {}: {} keys recomputed ({} written, {} deleted) from the rows a {} refresh changed in {}",
                        c.tview().name(), c.keys(), c.written(), c.deleted(), mode, inner.name());
            }
        }
    }

    /**
     * After a refresh outside the change stream (manual, repair, scheduled, populate) changed rows of {@code changed},
     * the tviews that read it get them too. Those whose plans map the rows of the tviews they read
     * ({@link RefreshPlan#tviewMappings}) already did, in the same refresher call ({@link Readers}); every other tview
     * that reads it (directly or through others) is diff-refreshed here in chunks, in refresh order: their rows embed its
     * rows, and no base-table change will bring them up to date. Returns the tviews diff-refreshed.
     *
     * @param all every plan, in refresh order (dependencies first)
     */
    public static List<String> refreshDependents(PostgresSessions sessions, RefreshConfig config, List<RefreshPlan> all, Tview changed,
                                                 String mode) throws SQLException {
        List<String> done = new ArrayList<>();
        for (RefreshPlan p : all) {
            if (!p.tview().dependsOn().contains(changed.table()) || p.mapsTviewRows()) {
                continue;
            }
            try (Connection c = sessions.open("tviewd-dependents", config.statementTimeout());
                 Refresher refresher = new Refresher(sessions, config, new Readers(all))) {
                TviewPopulator.populate(c, refresher, p.tview(), TviewPopulator.CHUNK_SIZE,
                        RefreshCause.of(mode, Set.of(changed.table()), Set.of()), (n, total) -> { });
            }
            LOG.info("Tview {}: diff-refreshed after a {} refresh changed rows of {}, which it reads", p.tview().name(), mode,
                    changed.name());
            done.add(p.tview().name());
        }
        return done;
    }

    public static Verified verify(PostgresSessions sessions, RefreshConfig config, Tview t, boolean repair, int chunkSize,
                                  LongConsumer progress, List<RefreshPlan> all) throws SQLException {
        Verified v = verify(sessions, config, t, repair, chunkSize, progress, new Readers(all));
        if (v.repaired() > 0) {
            refreshDependents(sessions, config, all, t, "repair");
        }
        return v;
    }

    private static Verified verify(PostgresSessions sessions, RefreshConfig config, Tview t, boolean repair, int chunkSize,
                           LongConsumer progress, Readers readers) throws SQLException {
        AtomicLong repaired = new AtomicLong();
        try (Connection c = sessions.open("tviewd-verify", config.statementTimeout());
             Refresher refresher = new Refresher(sessions, config, readers)) {
            TviewVerifier.Report report = TviewVerifier.verify(c, t, chunkSize, (diff, checked) -> {
                if (repair && !diff.isEmpty()) {
                    List<RefreshResult> results = refresher.refresh(List.of(RefreshRequest.keys(t, Set.copyOf(diff), RefreshCause.of("repair"))));
                    RefreshResult r = results.get(0);
                    logCarried(results.subList(1, results.size()), t, "repair");
                    if (r.failed()) {
                        throw new io.tviewd.connectors.postgres.refresh.RefreshFailedException(r);
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
