package io.tviewd.daemon.http;

import static io.tviewd.daemon.http.Replies.json;

import java.util.List;

import io.tviewd.config.RefreshMode;
import io.tviewd.daemon.cutover.Cutover;
import io.tviewd.daemon.cutover.CutoverRun;
import io.tviewd.daemon.events.EventStreams;
import io.tviewd.daemon.events.SinkDelivery;
import io.tviewd.daemon.pipeline.TviewMaintenance;
import io.tviewd.daemon.pipeline.TviewStatus;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * The tview resource: {@code GET /api/v1/tviews[/{name}]} (plan, mode, last refresh, last error, counters) and the
 * bearer-token operations {@code POST …/verify[?repair=true]}, {@code POST …/refresh}, {@code POST …/cutover}.
 * Operations run on worker threads with their own sessions, never the pipeline's.
 */
final class TviewRoutes {

    private final Vertx vertx;
    private final DaemonView daemon;
    private final Replies replies;
    private final io.vertx.core.WorkerExecutor admin;

    TviewRoutes(Vertx vertx, DaemonView daemon, Replies replies) {
        this.vertx = vertx;
        // admin work (a verify can take minutes) runs apart from the health check's worker, which must answer at once
        this.admin = vertx.createSharedWorkerExecutor("tviewd-admin", 2, 6, java.util.concurrent.TimeUnit.HOURS);
        this.daemon = daemon;
        this.replies = replies;
    }

    void mount(Router router) {
        router.get("/api/v1/tviews").handler(this::list);
        router.get("/api/v1/tviews/:name").handler(this::one);
        router.post("/api/v1/tviews/:name/verify").handler(this::verify);
        router.post("/api/v1/tviews/:name/cutover").handler(this::cutover);
        router.post("/api/v1/tviews/:name/refresh").handler(BodyHandler.create(false).setBodyLimit(RequestGuard.MAX_BODY_BYTES)).handler(this::refresh);
    }

    private void list(RoutingContext ctx) {
        JsonArray tviews = new JsonArray();
        daemon.pipeline().status().values().forEach(s -> tviews.add(s.toJson()));
        JsonObject refused = new JsonObject();
        daemon.refused().forEach(refused::put);
        EventStreams streams = daemon.events();
        JsonObject events = new JsonObject().put("enabled", streams != null);
        if (streams != null) {
            JsonObject problems = new JsonObject();
            streams.problems().forEach((stream, problem) -> problems.put(stream, problem == null ? "streaming" : problem));
            JsonObject sinks = new JsonObject();
            for (SinkDelivery d : streams.deliveries()) {
                sinks.put(d.name(), new JsonObject().put("status", d.problem() == null ? "UP" : "DEGRADED").put("delivered", d.delivered())
                        .put("lagSeconds", d.lagSeconds()).put("lastError", d.problem()));
            }
            events.put("streams", problems).put("sinks", sinks)
                    .put("sseClients", streams.live() == null ? 0 : streams.live().clientCount());
        }
        json(ctx, 200, new JsonObject().put("tviews", tviews).put("refused", refused)
                .put("cdc", new JsonObject()
                        .put("streaming", daemon.cdcStreaming())
                        .put("changesConsumed", daemon.pipeline().changesConsumed())
                        .put("lagMs", daemon.pipeline().lagMillis()))
                .put("events", events));
    }

    private void one(RoutingContext ctx) {
        TviewStatus s = replies.find(ctx);
        if (s != null) {
            json(ctx, 200, s.toJson());
        }
    }

    private void verify(RoutingContext ctx) {
        if (!replies.authorized(ctx)) {
            return;
        }
        TviewStatus s = replies.find(ctx);
        if (s == null) {
            return;
        }
        boolean repair = "true".equals(ctx.request().getParam("repair"));
        admin.executeBlocking(() -> TviewMaintenance.verify(daemon.sessions(), daemon.config().refresh(), s.plan().tview(), repair,
                        1000, checked -> { }, daemon.pipeline().plans()))
                .onSuccess(v -> json(ctx, 200, v.toJson()))
                .onFailure(e -> json(ctx, 500, new JsonObject().put("error", "verify of " + s.name() + " failed: " + e.getMessage())));
    }

    /** Manual refresh: body {@code {"keys": [...]}} recomputes those keys; no body or no keys refreshes the whole tview. */
    private void refresh(RoutingContext ctx) {
        if (!replies.authorized(ctx)) {
            return;
        }
        TviewStatus s = replies.find(ctx);
        if (s == null) {
            return;
        }
        List<String> keys = null;
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
        List<String> requested = keys;
        admin.executeBlocking(() -> TviewMaintenance.refresh(daemon.sessions(), daemon.config().refresh(), s.plan(), requested,
                        daemon.pipeline().plans()))
                .onSuccess(r -> json(ctx, r.failed() ? 500 : 200, r.failed() ? new JsonObject().put("error", r.error())
                        : new JsonObject().put("tview", s.name()).put("full", r.full()).put("keys", r.keys())
                        .put("written", r.written()).put("deleted", r.deleted()).put("unchanged", r.unchanged())
                        .put("durationMs", r.nanos() / 1_000_000)))
                .onFailure(e -> json(ctx, 500, new JsonObject().put("error", "refresh of " + s.name() + " failed: " + e.getMessage())));
    }

    /** Cutover: {@code ?to=MODE[&dryRun=true]}, or {@code ?resume=true} / {@code ?rollback=true}; answers with the step log. */
    private void cutover(RoutingContext ctx) {
        if (!replies.authorized(ctx)) {
            return;
        }
        TviewStatus s = replies.find(ctx);
        if (s == null) {
            return;
        }
        String to = ctx.request().getParam("to");
        boolean resume = "true".equals(ctx.request().getParam("resume"));
        boolean rollback = "true".equals(ctx.request().getParam("rollback"));
        RefreshMode target;
        try {
            target = to == null ? null : RefreshMode.parse(to);
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
        admin.executeBlocking(() -> {
                    CutoverRun.execute(daemon.config(), s.name(), target, dryRun, resume, rollback, Cutover.WAIT,
                            line -> { synchronized (out) { out.add(line); } });
                    return null;
                })
                .onSuccess(done -> json(ctx, 200, new JsonObject().put("tview", s.name()).put("log", out)))
                .onFailure(e -> json(ctx, 409, new JsonObject().put("error", e.getMessage()).put("log", out)));
    }
}
