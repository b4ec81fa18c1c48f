package io.tviewd.daemon.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tviewd.config.DatabaseConfig;
import io.tviewd.connectors.events.RefreshEvent;
import io.tviewd.connectors.postgres.catalog.Tview;

/**
 * The reference for event tests: a row trigger on every tview records each committed row change
 * with its transaction id (rolled-back changes vanish with their transaction). The events a sink
 * received must equal this ledger, one event per (tview, key, transaction), carrying the last state
 * the transaction left.
 */
public final class EventLedger {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** What one transaction left a tview row as: op {@code upsert} or {@code delete}, and the row. */
    public record Change(String op, JsonNode row) {
    }

    private EventLedger() {
    }

    /** Installs the recording trigger on every tview of the database (from now on). */
    public static void install(DatabaseConfig db) throws SQLException {
        try (Connection c = Sql.session(db); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE public.test_event_ledger (id bigserial PRIMARY KEY, tview text NOT NULL, k text NOT NULL, "
                    + "op text NOT NULL, txid bigint NOT NULL DEFAULT txid_current(), row_json jsonb)");
            // qualified names: the trigger also fires inside trigger-mode refreshes, whose search_path is pg_catalog
            s.execute("CREATE FUNCTION public.test_event_ledger() RETURNS trigger LANGUAGE plpgsql SET search_path = public AS $$ BEGIN "
                    + "IF TG_OP = 'DELETE' THEN INSERT INTO test_event_ledger (tview, k, op) "
                    + "VALUES (TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, to_jsonb(OLD) ->> TG_ARGV[0], 'delete'); "
                    + "ELSE INSERT INTO test_event_ledger (tview, k, op, row_json) "
                    + "VALUES (TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, to_jsonb(NEW) ->> TG_ARGV[0], 'upsert', to_jsonb(NEW)); END IF; "
                    + "RETURN NULL; END $$");
            for (Tview t : Tviews.discover(db)) {
                s.execute("CREATE TRIGGER test_event_ledger AFTER INSERT OR UPDATE OR DELETE ON " + t.table().quoted()
                        + " FOR EACH ROW EXECUTE FUNCTION public.test_event_ledger('" + t.keyColumn() + "')");
            }
        }
    }

    /** Committed changes so far: (tview, key, txid) → the transaction's last change of that row. */
    public static Map<String, Change> expected(DatabaseConfig db) throws Exception {
        Map<String, Change> out = new LinkedHashMap<>();
        try (Connection c = Sql.session(db); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT tview, k, txid, op, row_json::text FROM test_event_ledger ORDER BY id")) {
            while (rs.next()) {
                String id = rs.getString(1) + "|" + rs.getString(2) + "|" + rs.getLong(3);
                out.remove(id);
                out.put(id, new Change(rs.getString(4), rs.getString(5) == null ? null : JSON.readTree(rs.getString(5))));
            }
        }
        return out;
    }

    /**
     * Waits until the events (as the supplier returns them at each poll) cover every committed change of the
     * ledger; on timeout the failure names the changes still without an event.
     */
    public static void awaitCovered(DatabaseConfig db, java.util.function.Supplier<List<RefreshEvent>> events, java.time.Duration atMost,
                                    String context) {
        org.awaitility.Awaitility.await().atMost(atMost).untilAsserted(() -> {
            Map<String, Change> expected = expected(db);
            TreeSet<String> missing = new TreeSet<>(expected.keySet());
            missing.removeAll(deduped(events.get()).keySet());
            assertThat(missing).as("%s: %d of %d committed changes still without an event, e.g. %s", context, missing.size(),
                    expected.size(), missing.stream().limit(10).map(k -> k + "=" + expected.get(k).op()).toList()).isEmpty();
        });
    }

    /** The events keyed like {@link #expected}, after consumer-side dedupe by (tview, key, version). */
    public static Map<String, RefreshEvent> deduped(List<RefreshEvent> events) {
        Map<String, RefreshEvent> out = new LinkedHashMap<>();
        for (RefreshEvent e : events) {
            out.putIfAbsent(e.tview() + "|" + e.keyText() + "|" + e.txid(), e);
        }
        return out;
    }

    /**
     * Asserts the events (in the order one consumer received them per key) equal the ledger: every
     * committed change has exactly one distinct event (repeats only as exact duplicates of an earlier
     * (key, version)), each with the row's data, versions increasing per key.
     */
    public static void assertEventsMatch(DatabaseConfig db, List<RefreshEvent> events, String context) throws Exception {
        assertEventsMatch(db, events, true, context);
    }

    /** As {@link #assertEventsMatch(DatabaseConfig, List, String)}; without {@code withData} every event must carry no data. */
    public static void assertEventsMatch(DatabaseConfig db, List<RefreshEvent> events, boolean withData, String context) throws Exception {
        check(db, events, withData, false, context);
    }

    /**
     * The end of a fault scenario (README, Fault injection): prints its figures — changes committed, events received,
     * tview rows lost, events lost, events invented, duplicates beyond the documented dedupe — and asserts every loss is 0.
     */
    public static void assertNothingLost(DatabaseConfig db, List<RefreshEvent> events, String context) throws Exception {
        check(db, events, true, true, context);
    }

    private static void check(DatabaseConfig db, List<RefreshEvent> events, boolean withData, boolean figures, String context) throws Exception {
        Map<String, Change> expected = expected(db);
        Map<String, Long> lastVersion = new HashMap<>();
        Map<String, RefreshEvent> byVersion = new HashMap<>();
        List<String> problems = new ArrayList<>();
        for (RefreshEvent e : events) {
            String key = e.tview() + "|" + e.keyText();
            String kv = key + "|" + e.version();
            long last = lastVersion.getOrDefault(key, -1L);
            if (e.version() > last) {
                lastVersion.put(key, e.version());
                byVersion.put(kv, e);
            } else if (!byVersion.containsKey(kv)) {
                problems.add("event of " + key + " with version " + e.version() + " after version " + last + " and not a repeat");
            } else if (!byVersion.get(kv).toJson().equals(e.toJson())) {
                problems.add("repeat of " + kv + " differs: " + byVersion.get(kv).toJsonString() + " vs " + e.toJsonString());
            }
        }
        Map<String, RefreshEvent> got = deduped(events);
        TreeSet<String> missing = new TreeSet<>(expected.keySet());
        missing.removeAll(got.keySet());
        TreeSet<String> invented = new TreeSet<>(got.keySet());
        invented.removeAll(expected.keySet());
        for (Map.Entry<String, RefreshEvent> g : got.entrySet()) {
            Change want = expected.get(g.getKey());
            if (want == null) {
                continue;
            }
            RefreshEvent e = g.getValue();
            if (!want.op().equals(e.op())) {
                problems.add(g.getKey() + ": op " + e.op() + ", committed " + want.op());
            } else if (!withData) {
                if (e.data() != null) {
                    problems.add(g.getKey() + ": data " + e.data() + " although events carry none");
                }
            } else if (want.row() != null) {
                JsonNode data = want.row().has("data") ? want.row().get("data") : want.row();
                if (e.data() == null || !data.equals(e.data().tree())) {
                    problems.add(g.getKey() + ": data " + e.data() + ", committed " + data);
                }
            }
        }
        Map<String, Integer> perTview = new TreeMap<>();
        expected.keySet().forEach(k -> perTview.merge(k.substring(0, k.indexOf('|')), 1, Integer::sum));
        if (figures) {
            int rowsLost = Tviews.drift(db).values().stream().mapToInt(List::size).sum();
            System.out.printf("FAULT FIGURES [%s]: %d tview-row changes committed, %d events received, tview rows lost %d, "
                    + "events lost %d, events invented %d, duplicates beyond the (tview, key, version) dedupe %d%n", context, expected.size(),
                    events.size(), rowsLost, missing.size(), invented.size(), problems.size());
            assertThat(rowsLost).as("tview rows differing from their views (%s)", context).isZero();
        }
        assertThat(missing).as("committed tview-row changes without an event (%s); %d changes per tview %s", context,
                expected.size(), perTview).isEmpty();
        assertThat(invented).as("events without a committed change (%s)", context).isEmpty();
        assertThat(problems).as("event problems (%s)", context).isEmpty();
        assertThat(expected).as("the workload changed tview rows (%s)", context).isNotEmpty();
    }
}
