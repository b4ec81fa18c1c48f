package io.tviewd.daemon.http;

import static io.tviewd.daemon.http.Replies.json;

import java.util.Map;

import io.tviewd.daemon.events.EventStreams;
import io.tviewd.daemon.events.SinkDelivery;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /health/live}, {@code GET /health/ready} and {@code GET /metrics}. Only the database check
 * runs off the event loop (on a worker); everything else is read from memory.
 */
final class HealthRoutes {

    private final Vertx vertx;
    private final DaemonView daemon;
    private final DatabaseCheck databaseCheck;

    HealthRoutes(Vertx vertx, DaemonView daemon, DatabaseCheck databaseCheck) {
        this.vertx = vertx;
        this.daemon = daemon;
        this.databaseCheck = databaseCheck;
    }

    void mount(Router router) {
        router.get("/health/live").handler(this::live);
        router.get("/health/ready").handler(this::ready);
        router.get("/metrics").handler(ctx -> ctx.response()
                .putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8")
                .end(daemon.metrics().scrape()));
    }

    private void live(RoutingContext ctx) {
        boolean alive = daemon.alive();
        json(ctx, alive ? 200 : 503, new JsonObject().put("status", alive ? "UP" : "DOWN").put("state", daemon.lifecycle()));
    }

    private void ready(RoutingContext ctx) {
        vertx.executeBlocking(databaseCheck::check, false).onComplete(ar -> {
            String dbProblem = ar.succeeded() ? ar.result() : ar.cause().getMessage();
            boolean streaming = daemon.cdcStreaming();
            JsonObject db = new JsonObject().put("id", "database").put("status", dbProblem == null ? "UP" : "DOWN");
            if (dbProblem != null) {
                db.put("reason", dbProblem);
            }
            JsonObject cdc = new JsonObject().put("id", "cdc").put("status", streaming ? "UP" : "DOWN");
            if (!streaming) {
                cdc.put("reason", "CDC is not streaming (daemon state " + daemon.lifecycle() + ")");
            }
            boolean up = dbProblem == null && streaming;
            JsonArray checks = new JsonArray().add(db).add(cdc);
            boolean degraded = tviewsCheck(checks);
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
                    JsonObject check = new JsonObject().put("id", "sink-" + d.name())
                            .put("status", d.stopped() != null ? "STOPPED" : d.problem() == null ? "UP" : "DEGRADED")
                            .put("delivered", d.delivered()).put("lagSeconds", d.lagSeconds()).put("lastRefused", d.lastRefused());
                    if (d.problem() != null) {
                        check.put("reason", d.problem()).put("since", d.degradedSince().toString())
                                .put("impact", d.stopped() != null
                                        ? "tviews keep refreshing; this sink's events wait in the WAL until the cause is fixed and tviewd restarted"
                                        : "tviews keep refreshing; events wait in the WAL and are delivered when the sink is back");
                        degraded = true;
                    }
                    checks.add(check);
                }
            }
            json(ctx, up ? 200 : 503, new JsonObject().put("status", up ? (degraded ? "DEGRADED" : "UP") : "DOWN")
                    .put("checks", checks));
        });
    }

    /** Adds check {@code tviews}: DEGRADED, naming them, while any tview is quarantined or owed a full refresh. */
    private boolean tviewsCheck(JsonArray checks) {
        if (daemon.pipeline() == null) {
            return false;
        }
        JsonArray quarantined = new JsonArray();
        JsonArray owed = new JsonArray();
        daemon.pipeline().status().values().forEach(s -> {
            if (s.quarantined()) {
                quarantined.add(new JsonObject().put("tview", s.name()).put("lastError", s.lastError()));
            } else if (s.owedReason() != null) {
                owed.add(new JsonObject().put("tview", s.name()).put("reason", s.owedReason()));
            }
        });
        Map<String, String> refused = daemon.refused();
        boolean degraded = !quarantined.isEmpty() || !owed.isEmpty() || !refused.isEmpty();
        JsonObject check = new JsonObject().put("id", "tviews").put("status", degraded ? "DEGRADED" : "UP");
        if (degraded) {
            check.put("reason", quarantined.size() + " tviews quarantined, " + owed.size() + " more owed a full refresh (their rows "
                            + "may be stale until it runs), " + refused.size() + " refused (not maintained)")
                    .put("quarantined", quarantined).put("owed", owed).put("refused", new JsonObject(new java.util.LinkedHashMap<>(refused)));
        }
        checks.add(check);
        return degraded;
    }
}
