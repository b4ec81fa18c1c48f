package io.tviewd.daemon.support;

import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.tviewd.config.DatabaseConfig;
import io.tviewd.config.DiscoveryConfig;
import io.tviewd.connectors.postgres.PostgresSessions;
import io.tviewd.connectors.postgres.catalog.Tview;
import io.tviewd.connectors.postgres.catalog.TviewCatalog;
import io.tviewd.connectors.postgres.refresh.TviewComparison;

/** Test assertions about tviews: discovery of the blog's tviews and waiting until each equals its view. */
public final class Tviews {

    private Tviews() {
    }

    public static List<Tview> discover(DatabaseConfig db) throws SQLException {
        try (Connection c = new PostgresSessions(db).open("test")) {
            return new TviewCatalog(c).discover(new DiscoveryConfig(List.of("public"), true), List.of()).tviews();
        }
    }

    /** Differing keys per tview (only tviews that differ), compared in a session with pinned settings. */
    public static Map<String, List<String>> drift(DatabaseConfig db) throws SQLException {
        Map<String, List<String>> out = new LinkedHashMap<>();
        try (Connection c = new PostgresSessions(db).open("test-compare")) {
            for (Tview t : discover(db)) {
                TviewComparison.Drift d = TviewComparison.compare(c, t, 20);
                if (!d.none()) {
                    out.put(t.name(), new ArrayList<>(d.keys()));
                }
            }
        }
        return out;
    }

    /**
     * Waits until every tview equals its source view; on timeout fails with the differing keys and
     * the given context (e.g. the workload seed).
     */
    public static void awaitConverged(DatabaseConfig db, Duration atMost, String context) {
        Map<String, List<String>>[] last = new Map[1];
        try {
            await().atMost(atMost).pollInterval(Duration.ofMillis(200)).until(() -> {
                last[0] = drift(db);
                return last[0].isEmpty();
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("tviews did not converge within " + atMost + " (" + context + "); differing keys: " + last[0], e);
        }
    }

    /**
     * The end of a fault scenario without events (README, Fault injection): waits for convergence, then prints the
     * scenario's figures — statements written, tview rows lost (0, or the wait fails naming them).
     */
    public static void awaitNothingLost(DatabaseConfig db, Duration atMost, String scenario, long statements) {
        awaitConverged(db, atMost, scenario);
        System.out.printf("FAULT FIGURES [%s]: %d statements written, tview rows lost 0%n", scenario, statements);
    }
}
