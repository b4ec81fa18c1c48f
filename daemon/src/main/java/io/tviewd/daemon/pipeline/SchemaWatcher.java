package io.tviewd.daemon.pipeline;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.tviewd.config.RefreshMode;
import io.tviewd.config.TviewdConfig;
import io.tviewd.connectors.TableName;
import io.tviewd.connectors.postgres.PostgresSessions;
import io.tviewd.connectors.postgres.catalog.CatalogVersion;
import io.tviewd.connectors.postgres.plan.PlanFingerprint;
import io.tviewd.connectors.postgres.plan.RefreshPlan;
import io.tviewd.connectors.postgres.plan.TviewPlans;
import io.tviewd.connectors.postgres.replication.ReplicationSetup;
import io.tviewd.connectors.postgres.state.PlanFingerprints;
import io.tviewd.connectors.postgres.state.StateSchema;
import io.tviewd.connectors.postgres.triggers.TriggerInstaller;
import io.tviewd.daemon.metrics.DaemonMetrics;

/**
 * Notices DDL while the daemon runs. Every {@code discovery.schema-poll-interval} it reads {@link CatalogVersion}; when
 * that moved it plans every tview again and compares {@link PlanFingerprint}s with the ones it maintains. If a tview
 * was redefined (its view or one it reads, a base table's columns or replica identity, a function), appeared (a new
 * pair) or disappeared (dropped, or now refused), it: publishes what the new plans read, installs or removes
 * triggers as their modes need, swaps the plans into the pipeline between two batches, owes the changed and new
 * tviews a full refresh (persisted, then paid in chunks on the refresh thread: it covers whatever the old plan mapped
 * wrongly or missed between the DDL and now), stores their fingerprints, and logs what changed.
 *
 * <p>Threading: its own thread; the swap holds the pipeline's batch lock.
 */
public final class SchemaWatcher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SchemaWatcher.class);

    private final PostgresSessions sessions;
    private final TviewdConfig config;
    private final RefreshPipeline pipeline;
    private final ScheduledRefresher scheduled;
    private final DaemonMetrics metrics;
    private final Consumer<Map<String, String>> refused;
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tviewd-schema");
        t.setDaemon(true);
        return t;
    });
    /** Fingerprint of every maintained tview, by tview table name. */
    private Map<String, String> fingerprints;
    private String version;
    private Connection connection;

    /**
     * @param fingerprints fingerprints of the plans the pipeline runs now, by tview table name
     * @param version the catalog version those plans were made from
     * @param refused receives the refused tviews (with reasons) after every re-plan
     */
    public SchemaWatcher(PostgresSessions sessions, TviewdConfig config, RefreshPipeline pipeline, ScheduledRefresher scheduled,
                         DaemonMetrics metrics, Map<String, String> fingerprints, String version, Consumer<Map<String, String>> refused) {
        this.sessions = sessions;
        this.config = config;
        this.pipeline = pipeline;
        this.scheduled = scheduled;
        this.metrics = metrics;
        this.fingerprints = Map.copyOf(fingerprints);
        this.version = version;
        this.refused = refused;
    }

    public void start() {
        long ms = config.discovery().schemaPollInterval().toMillis();
        executor.scheduleWithFixedDelay(this::poll, ms, ms, TimeUnit.MILLISECONDS);
    }

    private void poll() {
        try {
            if (connection == null || connection.isClosed()) {
                connection = sessions.open("tviewd-schema");
            }
            String now = CatalogVersion.read(connection);
            if (!now.equals(version)) {
                replan(connection);
                version = now;
            }
        } catch (SQLException | RuntimeException e) {
            LOG.warn("Checking the catalog for schema changes failed, retrying in {} ms: {}",
                    config.discovery().schemaPollInterval().toMillis(), e.getMessage());
            closeConnection();
        }
    }

    /** Plans again; applies the result when a tview changed, appeared or disappeared. */
    void replan(Connection c) throws SQLException {
        TviewPlans read = TviewPlans.read(c, config);
        Map<String, String> nowRefused = new LinkedHashMap<>(read.refused());
        // decide on the new plans before ModeSetup touches triggers: a catalog change that changes no plan changes nothing
        Map<String, String> next = new LinkedHashMap<>();
        for (RefreshPlan p : read.plans()) {
            next.put(p.tview().table().toString(), PlanFingerprint.of(c, p));
        }
        Set<String> changed = new TreeSet<>();
        Set<String> added = new TreeSet<>();
        next.forEach((t, fp) -> {
            String old = fingerprints.get(t);
            if (old == null) {
                added.add(t);
            } else if (!old.equals(fp)) {
                changed.add(t);
            }
        });
        Set<String> dropped = new TreeSet<>(fingerprints.keySet());
        dropped.removeAll(next.keySet());
        if (changed.isEmpty() && added.isEmpty() && dropped.isEmpty()) {
            refused.accept(nowRefused);
            return;
        }
        ModeSetup.Result modes = ModeSetup.apply(c, read.plans(), config);
        nowRefused.putAll(modes.refused());
        for (String t : modes.refused().keySet()) {
            // refused by its mode (a trigger tview reading a cdc one): not maintained after all
            if (fingerprints.containsKey(t)) {
                dropped.add(t);
            }
            added.remove(t);
            changed.remove(t);
            next.remove(t);
        }
        LOG.warn("Schema changed while running: {}{}{}re-planned; the changed and new tviews get a full refresh",
                changed.isEmpty() ? "" : "redefined " + changed + "; ", added.isEmpty() ? "" : "new " + added + "; ",
                dropped.isEmpty() ? "" : "no longer maintained " + describe(dropped, nowRefused) + "; ");

        // publish first: changes to tables the new plans read stream from here on, the full refreshes cover what came before
        Set<TableName> published = new TreeSet<>(modes.cdcTables());
        published.add(TableName.parse(StateSchema.HEARTBEAT, StateSchema.SCHEMA));
        new ReplicationSetup(c).syncPublication(config.cdc().publicationName(), published);

        Set<String> replacedNames = new LinkedHashSet<>();
        List<TviewStatus> before = new ArrayList<>(pipeline.status().values());
        for (TviewStatus s : before) {
            String t = s.plan().tview().table().toString();
            if (changed.contains(t)) {
                replacedNames.add(s.name());
                scheduled.cancel(s);
            }
        }
        List<TviewStatus> gone = pipeline.replan(modes.plans(), modes.modeNames(), replacedNames);
        for (TviewStatus s : gone) {
            scheduled.cancel(s);
            TriggerInstaller.remove(c, s.plan().tview());
        }
        List<io.tviewd.connectors.postgres.catalog.Tview> redefined = new ArrayList<>();
        List<io.tviewd.connectors.postgres.catalog.Tview> found = new ArrayList<>();
        for (RefreshPlan p : modes.plans()) {
            String t = p.tview().table().toString();
            if (!changed.contains(t) && !added.contains(t)) {
                continue;
            }
            (changed.contains(t) ? redefined : found).add(p.tview());
            metrics.plan(p, modes.modeNames().get(p.tview().name()));
            if (modes.modes().get(p.tview().name()).mode() == RefreshMode.SCHEDULED) {
                scheduled.schedule(pipeline.status().get(p.tview().name()), modes.schedule(p));
            }
        }
        pipeline.owe(redefined, "redefined while running (its view, a view or function it reads, a table's columns or replica "
                + "identity): re-planned");
        pipeline.owe(found, "new tview, found while running");
        Map<String, String> store = new LinkedHashMap<>();
        redefined.forEach(t -> store.put(t.table().toString(), next.get(t.table().toString())));
        found.forEach(t -> store.put(t.table().toString(), next.get(t.table().toString())));
        PlanFingerprints.store(c, store);
        fingerprints = Map.copyOf(next);
        refused.accept(nowRefused);
    }

    private static String describe(Set<String> dropped, Map<String, String> refused) {
        List<String> out = new ArrayList<>();
        for (String t : dropped) {
            String why = refused.get(t);
            out.add(t + (why == null ? " (its table or view is gone)" : " (refused: " + why + ")"));
        }
        return out.toString();
    }

    private void closeConnection() {
        PostgresSessions.closeQuietly(connection);
        connection = null;
    }

    @Override
    public void close() {
        executor.shutdownNow();
        try {
            executor.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeConnection();
    }
}
