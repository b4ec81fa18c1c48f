package io.tviewd.daemon;

import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.tviewd.config.HttpConfig;
import io.tviewd.config.TviewdConfig;
import io.tviewd.connectors.ChangeSource;
import io.tviewd.connectors.TableName;
import io.tviewd.connectors.debezium.DebeziumChangeSource;
import io.tviewd.connectors.postgres.PostgresSessions;
import io.tviewd.connectors.postgres.plan.RefreshPlan;
import io.tviewd.connectors.postgres.plan.TviewPlans;
import io.tviewd.connectors.postgres.refresh.Refresher;
import io.tviewd.connectors.postgres.replication.ReplicationSetup;
import io.tviewd.connectors.postgres.catalog.CatalogVersion;
import io.tviewd.connectors.postgres.plan.PlanFingerprint;
import io.tviewd.connectors.postgres.state.OwedRefreshes;
import io.tviewd.connectors.postgres.state.PlanFingerprints;
import io.tviewd.connectors.postgres.state.StateSchema;
import io.tviewd.daemon.events.EventStreams;
import io.tviewd.daemon.http.DaemonView;
import io.tviewd.daemon.http.DatabaseCheck;
import io.tviewd.daemon.http.HttpVerticle;
import io.tviewd.daemon.metrics.DaemonMetrics;
import io.tviewd.daemon.pipeline.ModeSetup;
import io.tviewd.daemon.pipeline.ModeWatcher;
import io.tviewd.daemon.pipeline.RefreshPipeline;
import io.tviewd.daemon.pipeline.ScheduledRefresher;
import io.tviewd.daemon.pipeline.SchemaWatcher;
import io.tviewd.daemon.retry.Retry;
import io.vertx.core.Vertx;

/**
 * Wires one running daemon: catalog discovery → refresh plans → publication and slot → reconcile
 * when needed → CDC stream into the {@link RefreshPipeline} → HTTP endpoints.
 *
 * <p>Lifecycle: {@link #start} once; {@link #stopped()} completes when the change source stops
 * (exceptionally when it or an event stream died); {@link #close} stops CDC gracefully (the in-flight batch commits,
 * offsets are stored, the slot is released), then HTTP.
 */
public final class Daemon implements DaemonView, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Daemon.class);

    /** Lifecycle states; liveness is derived from them. */
    public enum State { STARTING, RUNNING, STOPPING, STOPPED, FAILED }

    private final TviewdConfig config;
    private final PostgresSessions sessions;
    private final DaemonMetrics metrics = new DaemonMetrics();
    private volatile State state = State.STARTING;
    private Vertx vertx;
    private Refresher refresher;
    private RefreshPipeline pipeline;
    private ChangeSource source;
    private ScheduledRefresher scheduled;
    private ModeWatcher modeWatcher;
    private EventStreams events;
    private volatile Map<String, String> refused = Map.of();
    private SchemaWatcher schemaWatcher;
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private int httpPort = -1;

    public Daemon(TviewdConfig config) {
        this.config = config;
        this.sessions = new PostgresSessions(config.database());
    }

    /**
     * Discovers tviews, prepares publication and slot, reconciles when the stream cannot cover past
     * changes, starts CDC and HTTP.
     *
     * @throws IllegalStateException with the reason when the daemon cannot run (no tviews, wal_level, slot in use)
     */
    public void start() throws Exception {
        List<RefreshPlan> plans = new ArrayList<>();
        Set<TableName> tables = new TreeSet<>();
        ModeSetup.Result modes;
        Map<String, String> fingerprints = new java.util.LinkedHashMap<>();
        String catalogVersion;
        try (Connection c = sessions.open("tviewd-setup")) {
            ReplicationSetup setup = new ReplicationSetup(c);
            setup.requireLogicalDecoding();
            StateSchema.install(c);
            // a daemon killed a moment ago may still hold a slot until the server notices: wait a little
            Retry slotWait = new Retry(Duration.ofMillis(200), Duration.ofSeconds(2), Duration.ofSeconds(30),
                    System::currentTimeMillis, Thread::sleep);
            metrics.eventsEnabled(config.events().enabled());
            if (config.events().enabled()) {
                // before anything refreshes: every event emitted from now on has a slot to wait in
                events = new EventStreams(config, metrics, typenames(config), sessions, this::keyColumn,
                        () -> pipeline == null ? List.of() : pipeline.plans().stream().map(p -> p.tview().table().toString()).toList());
                events.prepare(c, setup, slotWait);
            }
            EventStreams.warnUnusedSlots(c, config, events == null ? List.of() : events.streams());
            for (var open : io.tviewd.connectors.postgres.state.CutoverJournal.open(c)) {
                LOG.warn("Cutover #{} of {} ({} → {}) was interrupted ({}): run `tviewd cutover {} --resume` or `--rollback`",
                        open.id(), open.tview(), open.from().configName(), open.to().configName(), open.status(), open.tview());
            }
            TviewPlans read = TviewPlans.read(c, config);
            modes = ModeSetup.apply(c, read.plans(), config);
            Map<String, String> allRefused = new java.util.LinkedHashMap<>(read.refused());
            allRefused.putAll(modes.refused());
            refused = allRefused;
            refused.forEach((t, why) -> LOG.error("Tview {} refused: {}", t, why));
            for (RefreshPlan plan : modes.plans()) {
                plan.warnings().forEach(w -> LOG.warn("Tview {}: {}", plan.tview().name(), w));
                metrics.plan(plan, modes.modeNames().get(plan.tview().name()));
            }
            plans.addAll(modes.plans());
            tables.addAll(modes.cdcTables());
            if (plans.isEmpty()) {
                throw new IllegalStateException("No tviews to maintain: found no tv_<entity>/v_<entity> or ta_<entity>/va_<entity> "
                        + "pairs in schemas " + config.discovery().schemas() + " and none declared under `tviews`"
                        + (refused.isEmpty() ? "" : " (refused: " + refused + ")"));
            }
            Set<TableName> published = new TreeSet<>(tables);
            published.add(TableName.parse(StateSchema.HEARTBEAT, StateSchema.SCHEMA));
            // a tview whose plan or definitions differ from those it was last maintained under (DDL while the daemon was
            // down, or a new pair) cannot be proven current: it is owed a full refresh, stored before its new fingerprint
            catalogVersion = CatalogVersion.read(c);
            Map<String, String> storedFingerprints = PlanFingerprints.read(c);
            Map<String, String> redefined = new java.util.LinkedHashMap<>();
            for (RefreshPlan p : plans) {
                String t = p.tview().table().toString();
                String fp = PlanFingerprint.of(c, p);
                fingerprints.put(t, fp);
                String old = storedFingerprints.get(t);
                if (!fp.equals(old)) {
                    redefined.put(t, old == null ? "not maintained by tviewd in this database before"
                            : "its plan or definitions (view, a view or function it reads, columns, replica identity) changed since "
                                    + "the last run");
                }
            }
            OwedRefreshes.owe(c, redefined);
            PlanFingerprints.store(c, fingerprints);
            // a new slot or publication streams only what comes after it: the cdc tviews are owed a full refresh for
            // what came before. Stored first, so a crash between creating the slot and that refresh still owes it.
            Set<String> owedBefore = OwedRefreshes.read(c).keySet();
            Map<String, String> pending = new java.util.LinkedHashMap<>();
            for (RefreshPlan p : modes.inMode(io.tviewd.config.RefreshMode.CDC)) {
                if (!owedBefore.contains(p.tview().table().toString()) && !redefined.containsKey(p.tview().table().toString())) {
                    pending.put(p.tview().table().toString(), "reconcile: the replication slot or publication is new "
                            + "and streams only later changes");
                }
            }
            OwedRefreshes.owe(c, pending);
            boolean publicationChanged = setup.syncPublication(config.cdc().publicationName(), published);
            boolean slotCreated = slotWait.call("claiming replication slot " + config.cdc().slotName(),
                    () -> setup.ensureSlot(config.cdc().slotName()), e -> e instanceof ReplicationSetup.SlotInUseException);
            if (slotCreated && setup.discardOrphanedOffsets(config.cdc().slotName())) {
                LOG.warn("Replication slot {} was missing or lost although positions for it were stored (dropped by a DBA, a failover, "
                        + "or max_slot_wal_keep_size): changes since the last stored position cannot be streamed; streaming starts from "
                        + "the new slot and every cdc tview is reconciled with a full refresh", config.cdc().slotName());
            }
            if (!slotCreated && !publicationChanged) {
                OwedRefreshes.cancel(c, pending.keySet());
            }
        }
        refresher = new Refresher(sessions, config.refresh());
        pipeline = new RefreshPipeline(plans, modes.modeNames(), refresher, sessions, config.refresh(), metrics, Retry.standard());
        pipeline.loadOwed();
        // the triggers cover every write from their installation on; a full refresh covers what came before
        pipeline.owe(modes.triggersInstalledNow().stream().map(RefreshPlan::tview).toList(),
                "trigger mode: triggers were installed now and cover only later writes");
        if (pipeline.status().values().stream().anyMatch(s -> s.owedReason() != null)) {
            long t0 = System.nanoTime();
            pipeline.recoverOwed(true);
            LOG.info("Start-up: owed full refreshes run in {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        }
        scheduled = new ScheduledRefresher(sessions, config.refresh(), pipeline, metrics);
        for (RefreshPlan p : modes.inMode(io.tviewd.config.RefreshMode.SCHEDULED)) {
            scheduled.schedule(pipeline.status().get(p.tview().name()), modes.schedule(p));
        }
        modeWatcher = new ModeWatcher(sessions, pipeline, scheduled, metrics);
        schemaWatcher = new SchemaWatcher(sessions, config, pipeline, scheduled, metrics, fingerprints, catalogVersion, r -> {
            refused = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(r));
        });
        DebeziumChangeSource cdc = new DebeziumChangeSource(config.database(), config.cdc());
        source = cdc;
        vertx = Vertx.vertx();
        if (events != null) {
            try (Connection c = sessions.open("tviewd-setup")) {
                events.attachLive(c, vertx, cdc);
            }
        }
        // HTTP first: a port in use or a TLS key that does not load stops the start before any engine claims a slot
        // (an engine closed while it starts streaming can take its whole 30 s stop timeout)
        HttpVerticle http = new HttpVerticle(config.http(), this, new DatabaseCheck(sessions));
        try {
            vertx.deployVerticle(http).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            HttpConfig h = config.http();
            throw new IllegalStateException("The HTTP endpoints cannot listen on " + h.host() + ":" + h.port()
                    + (h.tls() ? " with TLS (http.tls-cert-file " + h.tlsCertFile() + ", http.tls-key-file " + h.tlsKeyFile()
                    + ": both PEM, the key unencrypted and matching the certificate)" : "") + ": " + e.getCause().getMessage(), e.getCause());
        }
        httpPort = http.actualPort();
        source.start(tables, pipeline).whenComplete((v, e) -> {
            if (e != null) {
                stopped.completeExceptionally(e);
            } else {
                stopped.complete(null);
            }
        });
        modeWatcher.start();
        schemaWatcher.start();
        stopped.whenComplete((v, e) -> {
            if (e != null) {
                state = State.FAILED;
                LOG.error("tviewd stopping: {}", e.getMessage(), e);
            }
        });
        if (events != null) {
            // an event stream that dies stops the daemon, like CDC: the supervisor restarts it from the stored positions
            events.start((stream, e) -> {
                if (state == State.STOPPING || state == State.STOPPED) {
                    return;
                }
                state = State.FAILED;
                stopped.completeExceptionally(new IllegalStateException("event stream " + stream + " died: " + e.getMessage(), e));
            });
        }
        state = State.RUNNING;
        LOG.info("tviewd running: {} tviews, {} base tables, HTTP on {}://{}:{}", plans.size(), tables.size(),
                config.http().tls() ? "https" : "http", config.http().host(), httpPort);
    }

    /** The key column of a maintained tview, by schema-qualified name (as events name it); null when none. */
    private String keyColumn(String tview) {
        RefreshPipeline p = pipeline;
        if (p == null) {
            return null;
        }
        return p.plans().stream().map(RefreshPlan::tview).filter(t -> t.table().toString().equals(tview)).map(t -> t.keyColumn())
                .findFirst().orElse(null);
    }

    /** Entity name of a tview in events: its declared {@code typename}, else the PascalCase of its name. */
    static java.util.function.Function<String, String> typenames(TviewdConfig config) {
        Map<String, String> declared = new java.util.HashMap<>();
        for (io.tviewd.config.TviewDeclaration d : config.tviews()) {
            d.typename().ifPresent(n -> declared.put(TableName.parse(d.table(), "public").toString(), n));
        }
        // asked once per event: remember each tview's name
        Map<String, String> known = new java.util.concurrent.ConcurrentHashMap<>();
        return t -> known.computeIfAbsent(t, k -> declared.getOrDefault(k, io.tviewd.connectors.events.Typenames.of(k)));
    }

    /** The Vert.x instance: in-process consumers subscribe to refresh events on its event bus. */
    public Vertx vertx() {
        return vertx;
    }

    /** True when every event stream is streaming (or events are disabled). */
    public boolean eventsStreaming() {
        return events == null || events.problems().values().stream().allMatch(java.util.Objects::isNull);
    }

    /** The event streams, or null when events are disabled. */
    @Override
    public EventStreams events() {
        return events;
    }

    public State state() {
        return state;
    }

    @Override
    public String lifecycle() {
        return state.name();
    }

    @Override
    public boolean alive() {
        State s = state;
        return s == State.STARTING || s == State.RUNNING;
    }

    @Override
    public boolean cdcStreaming() {
        return source != null && source.isStreaming();
    }

    /** Completes when CDC stops; exceptionally when it died. */
    public CompletableFuture<Void> stopped() {
        return stopped;
    }

    @Override
    public RefreshPipeline pipeline() {
        return pipeline;
    }

    public ChangeSource source() {
        return source;
    }

    @Override
    public DaemonMetrics metrics() {
        return metrics;
    }

    /** Tviews refused at discovery, with the reason. */
    @Override
    public Map<String, String> refused() {
        return refused;
    }

    public int httpPort() {
        return httpPort;
    }

    @Override
    public PostgresSessions sessions() {
        return sessions;
    }

    @Override
    public TviewdConfig config() {
        return config;
    }

    @Override
    public synchronized void close() {
        if (state == State.STOPPED) {
            return;
        }
        State before = state;
        state = State.STOPPING;
        if (schemaWatcher != null) {
            schemaWatcher.close();
        }
        if (modeWatcher != null) {
            modeWatcher.close();
        }
        if (scheduled != null) {
            scheduled.close();
        }
        if (source != null) {
            source.close();
        }
        if (events != null) {
            events.close();
        }
        if (refresher != null) {
            refresher.close();
        }
        if (vertx != null) {
            try {
                vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.warn("HTTP server did not stop cleanly: {}", e.getMessage());
            }
        }
        state = before == State.FAILED ? State.FAILED : State.STOPPED;
        LOG.info("tviewd stopped");
    }
}
