package io.tviewd.daemon;

import java.util.Map;

import io.tviewd.config.HttpConfig;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * Health, metrics and API endpoints. Handlers never block the event loop: the database check runs
 * on a worker thread; everything else reads in-memory state.
 *
 * <ul>
 *   <li>{@code GET /health/live} — 200 while the daemon is starting or running, 503 once stopping or failed</li>
 *   <li>{@code GET /health/ready} — 200 when the database answers and CDC is streaming (status {@code DEGRADED} while an
 *       event stream or sink is down: refresh goes on), else 503; named checks</li>
 *   <li>{@code GET /api/v1/events[?tview=a,b]} — refresh events as server-sent events, resumable with {@code Last-Event-ID}
 *       (bearer token when {@code http.token} is set)</li>
 *   <li>{@code GET /metrics} — Prometheus text format</li>
 *   <li>{@code GET /api/v1/tviews}, {@code GET /api/v1/tviews/{name}} — plan, mode, last refresh, last error, counters</li>
 *   <li>{@code POST /api/v1/tviews/{name}/verify[?repair=true]} — chunked comparison with the view (bearer token)</li>
 *   <li>{@code POST /api/v1/tviews/{name}/refresh} — manual refresh of given keys or the whole tview (bearer token)</li>
 * </ul>
 */
public final class HttpVerticle extends VerticleBase {

    private final HttpConfig config;
    private final Daemon daemon;
    private final DatabaseCheck databaseCheck;
    private HttpServer server;

    HttpVerticle(HttpConfig config, Daemon daemon, DatabaseCheck databaseCheck) {
        this.config = config;
        this.daemon = daemon;
        this.databaseCheck = databaseCheck;
    }

    @Override
    public Future<?> start() {
        Router router = Router.router(vertx);
        router.get("/health/live").handler(this::live);
        router.get("/health/ready").handler(this::ready);
        router.get("/metrics").handler(ctx -> ctx.response()
                .putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8")
                .end(daemon.metrics().scrape()));
        router.get("/api/v1/tviews").handler(this::list);
        router.get("/api/v1/events").handler(this::events);
        router.get("/api/v1/tviews/:name").handler(this::one);
        router.post("/api/v1/tviews/:name/verify").handler(this::verify);
        router.post("/api/v1/tviews/:name/cutover").handler(this::cutover);
        router.post("/api/v1/tviews/:name/refresh").handler(BodyHandler.create().setBodyLimit(1 << 20)).handler(this::refresh);
        return vertx.createHttpServer(new HttpServerOptions().setHost(config.host()).setPort(config.port()))
                .requestHandler(router)
                .listen()
                .onSuccess(s -> server = s);
    }

    @Override
    public Future<?> stop() {
        return vertx.executeBlocking(() -> {
            databaseCheck.close();
            return null;
        });
    }

    /** The bound port (differs from the configured one when that was 0). */
    int actualPort() {
        return server == null ? -1 : server.actualPort();
    }

    private void live(RoutingContext ctx) {
        Daemon.State s = daemon.state();
        boolean alive = s == Daemon.State.STARTING || s == Daemon.State.RUNNING;
        json(ctx, alive ? 200 : 503, new JsonObject().put("status", alive ? "UP" : "DOWN").put("state", s.name()));
    }

    private void ready(RoutingContext ctx) {
        vertx.executeBlocking(databaseCheck::check).onComplete(ar -> {
            String dbProblem = ar.succeeded() ? ar.result() : ar.cause().getMessage();
            boolean streaming = daemon.source() != null && daemon.source().isStreaming();
            JsonObject db = new JsonObject().put("id", "database").put("status", dbProblem == null ? "UP" : "DOWN");
            if (dbProblem != null) {
                db.put("reason", dbProblem);
            }
            JsonObject cdc = new JsonObject().put("id", "cdc").put("status", streaming ? "UP" : "DOWN");
            if (!streaming) {
                cdc.put("reason", "CDC is not streaming (daemon state " + daemon.state() + ")");
            }
            boolean up = dbProblem == null && streaming;
            JsonArray checks = new JsonArray().add(db).add(cdc);
            boolean degraded = false;
            EventStreams streams = daemon.events();
            if (streams != null) {
                for (Map.Entry<String, String> e : streams.problems().entrySet()) {
                    JsonObject check = new JsonObject().put("id", "events-" + e.getKey()).put("status", e.getValue() == null ? "UP" : "DOWN");
                    if (e.getValue() != null) {
                        check.put("reason", "event stream " + e.getKey() + " " + e.getValue());
                        degraded = true;
                    }
                    checks.add(check);
                }
                for (SinkDelivery d : streams.deliveries()) {
                    JsonObject check = new JsonObject().put("id", "sink-" + d.name()).put("status", d.problem() == null ? "UP" : "DEGRADED")
                            .put("delivered", d.delivered()).put("lagSeconds", d.lagSeconds());
                    if (d.problem() != null) {
                        check.put("reason", d.problem()).put("since", d.degradedSince().toString())
                                .put("impact", "tviews keep refreshing; events wait in the WAL and are delivered when the sink is back");
                        degraded = true;
                    }
                    checks.add(check);
                }
            }
            json(ctx, up ? 200 : 503, new JsonObject().put("status", up ? (degraded ? "DEGRADED" : "UP") : "DOWN")
                    .put("checks", checks));
        });
    }

    private void list(RoutingContext ctx) {
        JsonArray tviews = new JsonArray();
        daemon.pipeline().status().values().forEach(s -> tviews.add(s.toJson()));
        JsonObject refused = new JsonObject();
        daemon.refused().forEach(refused::put);
        JsonObject events = new JsonObject().put("enabled", daemon.events() != null);
        if (daemon.events() != null) {
            JsonObject streams = new JsonObject();
            daemon.events().problems().forEach((stream, problem) -> streams.put(stream, problem == null ? "streaming" : problem));
            JsonObject sinks = new JsonObject();
            for (SinkDelivery d : daemon.events().deliveries()) {
                sinks.put(d.name(), new JsonObject().put("status", d.problem() == null ? "UP" : "DEGRADED").put("delivered", d.delivered())
                        .put("lagSeconds", d.lagSeconds()).put("lastError", d.problem()));
            }
            events.put("streams", streams).put("sinks", sinks)
                    .put("sseClients", daemon.events().live() == null ? 0 : daemon.events().live().clientCount());
        }
        json(ctx, 200, new JsonObject().put("tviews", tviews).put("refused", refused)
                .put("cdc", new JsonObject()
                        .put("streaming", daemon.source() != null && daemon.source().isStreaming())
                        .put("changesConsumed", daemon.pipeline().changesConsumed())
                        .put("lagMs", daemon.pipeline().lagMillis()))
                .put("events", events));
    }

    /** Server-sent events: {@code ?tview=a,b} filters (name or schema.name), {@code Last-Event-ID} resumes. */
    private void events(RoutingContext ctx) {
        EventStreams streams = daemon.events();
        if (streams == null || streams.live() == null) {
            json(ctx, 404, new JsonObject().put("error", "refresh events are disabled (events.enabled=false)"));
            return;
        }
        if (!config.token().isEmpty() && !authorized(ctx)) {
            return;
        }
        java.util.Set<String> tviews = new java.util.HashSet<>();
        String filter = ctx.request().getParam("tview");
        if (filter != null) {
            for (String t : filter.split(",")) {
                if (!t.isBlank()) {
                    tviews.add(t.trim());
                }
            }
            java.util.Set<String> known = new java.util.HashSet<>();
            daemon.pipeline().status().values().forEach(st -> {
                known.add(st.name());
                known.add(st.plan().tview().table().toString());
            });
            java.util.List<String> unknown = tviews.stream().filter(t -> !known.contains(t)).sorted().toList();
            if (!unknown.isEmpty()) {
                json(ctx, 404, new JsonObject().put("error", "No tview named " + String.join(", ", unknown) + " (parameter tview); known: "
                        + String.join(", ", new java.util.TreeSet<>(daemon.pipeline().status().keySet()))));
                return;
            }
        }
        String last = ctx.request().getHeader("Last-Event-ID");
        if (last == null) {
            last = ctx.request().getParam("lastEventId");
        }
        Long lastEventId = null;
        if (last != null && !last.isBlank()) {
            try {
                lastEventId = Long.parseLong(last.trim());
            } catch (NumberFormatException e) {
                json(ctx, 400, new JsonObject().put("error", "Invalid value '" + last + "' for 'Last-Event-ID': must be an event version (a number)"));
                return;
            }
        }
        streams.live().subscribe(ctx.request(), tviews, lastEventId);
    }

    private void one(RoutingContext ctx) {
        TviewStatus s = find(ctx);
        if (s != null) {
            json(ctx, 200, s.toJson());
        }
    }

    private void verify(RoutingContext ctx) {
        if (!authorized(ctx)) {
            return;
        }
        TviewStatus s = find(ctx);
        if (s == null) {
            return;
        }
        boolean repair = "true".equals(ctx.request().getParam("repair"));
        vertx.executeBlocking(() -> TviewMaintenance.verify(daemon.sessions(), daemon.config().refresh(), s.plan().tview(), repair,
                        1000, checked -> { }))
                .onSuccess(v -> json(ctx, 200, v.toJson()))
                .onFailure(e -> json(ctx, 500, new JsonObject().put("error", "verify of " + s.name() + " failed: " + e.getMessage())));
    }

    /** Manual refresh: body {@code {"keys": [...]}} recomputes those keys; no body or no keys refreshes the whole tview. */
    private void refresh(RoutingContext ctx) {
        if (!authorized(ctx)) {
            return;
        }
        TviewStatus s = find(ctx);
        if (s == null) {
            return;
        }
        java.util.List<String> keys = null;
        String body = ctx.body().asString();
        if (body != null && !body.isBlank()) {
            try {
                JsonArray arr = new JsonObject(body).getJsonArray("keys");
                if (arr != null) {
                    keys = arr.stream().map(String::valueOf).toList();
                }
            } catch (RuntimeException e) {
                json(ctx, 400, new JsonObject().put("error", "body must be JSON like {\"keys\": [\"<key>\", ...]}: " + e.getMessage()));
                return;
            }
        }
        java.util.List<String> requested = keys;
        vertx.executeBlocking(() -> TviewMaintenance.refresh(daemon.sessions(), daemon.config().refresh(), s.plan(), requested))
                .onSuccess(r -> json(ctx, r.failed() ? 500 : 200, r.failed() ? new JsonObject().put("error", r.error())
                        : new JsonObject().put("tview", s.name()).put("full", r.full()).put("keys", r.keys())
                        .put("written", r.written()).put("deleted", r.deleted()).put("unchanged", r.unchanged())
                        .put("durationMs", r.nanos() / 1_000_000)))
                .onFailure(e -> json(ctx, 500, new JsonObject().put("error", "refresh of " + s.name() + " failed: " + e.getMessage())));
    }

    /** Cutover: {@code ?to=MODE[&dryRun=true]}, or {@code ?resume=true} / {@code ?rollback=true}; answers with the step log. */
    private void cutover(RoutingContext ctx) {
        if (!authorized(ctx)) {
            return;
        }
        TviewStatus s = find(ctx);
        if (s == null) {
            return;
        }
        String to = ctx.request().getParam("to");
        boolean resume = "true".equals(ctx.request().getParam("resume"));
        boolean rollback = "true".equals(ctx.request().getParam("rollback"));
        io.tviewd.config.RefreshMode target;
        try {
            target = to == null ? null : io.tviewd.config.RefreshMode.parse(to);
        } catch (IllegalArgumentException e) {
            json(ctx, 400, new JsonObject().put("error", "Invalid value '" + to + "' for 'to': must be one of trigger, scheduled, cdc, manual"));
            return;
        }
        if ((resume ? 1 : 0) + (rollback ? 1 : 0) + (target != null ? 1 : 0) != 1) {
            json(ctx, 400, new JsonObject().put("error", "give exactly one of to=MODE, resume=true, rollback=true"));
            return;
        }
        boolean dryRun = "true".equals(ctx.request().getParam("dryRun"));
        JsonArray out = new JsonArray();
        vertx.executeBlocking(() -> CutoverCommand.run(daemon.config(), s.name(), target, dryRun, resume, rollback, Cutover.WAIT,
                        line -> { synchronized (out) { out.add(line); } }))
                .onSuccess(code -> json(ctx, 200, new JsonObject().put("tview", s.name()).put("log", out)))
                .onFailure(e -> json(ctx, 409, new JsonObject().put("error", e.getMessage()).put("log", out)));
    }

    /** Mutating endpoints need {@code Authorization: Bearer <http.token>}; without a configured token they are off. */
    private boolean authorized(RoutingContext ctx) {
        if (config.token().isEmpty()) {
            json(ctx, 403, new JsonObject().put("error", "mutating endpoints are disabled: set http.token (TVIEWD_HTTP_TOKEN)"));
            return false;
        }
        String header = ctx.request().getHeader("Authorization");
        byte[] expected = ("Bearer " + config.token().reveal()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (header == null || !java.security.MessageDigest.isEqual(expected, header.getBytes(java.nio.charset.StandardCharsets.UTF_8))) {
            ctx.response().putHeader("WWW-Authenticate", "Bearer");
            json(ctx, 401, new JsonObject().put("error", "missing or wrong bearer token (Authorization: Bearer <http.token>)"));
            return false;
        }
        return true;
    }

    /** The tview named in the path, or null after answering 404. */
    private TviewStatus find(RoutingContext ctx) {
        String name = ctx.pathParam("name");
        Map<String, TviewStatus> all = daemon.pipeline().status();
        TviewStatus s = all.get(name);
        if (s == null) {
            s = all.values().stream().filter(x -> x.plan().tview().table().toString().equals(name)).findFirst().orElse(null);
        }
        if (s == null) {
            json(ctx, 404, new JsonObject().put("error", "No tview named '" + name + "'; known: " + String.join(", ", all.keySet())));
        }
        return s;
    }

    private static void json(RoutingContext ctx, int status, JsonObject body) {
        ctx.response().setStatusCode(status).putHeader("content-type", "application/json").end(body.encode());
    }
}
