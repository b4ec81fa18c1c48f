package io.tviewd.daemon.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;

import io.tviewd.config.HttpConfig;
import io.tviewd.daemon.pipeline.TviewStatus;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Answers shared by the routes: JSON bodies, the bearer-token check, the tview named in the path. */
final class Replies {

    private final HttpConfig config;
    private final DaemonView daemon;

    Replies(HttpConfig config, DaemonView daemon) {
        this.config = config;
        this.daemon = daemon;
    }

    static void json(RoutingContext ctx, int status, JsonObject body) {
        ctx.response().setStatusCode(status).putHeader("content-type", "application/json").end(body.encode());
    }

    /** Mutating endpoints need {@code Authorization: Bearer <http.token>}; without a configured token they are off. */
    boolean authorized(RoutingContext ctx) {
        if (config.token().isEmpty()) {
            json(ctx, 403, new JsonObject().put("error", "mutating endpoints are disabled: set http.token (TVIEWD_HTTP_TOKEN)"));
            return false;
        }
        return tokenMatches(ctx);
    }

    /** True when the request carries the configured token; answers 401 otherwise. */
    boolean tokenMatches(RoutingContext ctx) {
        String header = ctx.request().getHeader("Authorization");
        byte[] expected = ("Bearer " + config.token().reveal()).getBytes(StandardCharsets.UTF_8);
        if (header == null || !MessageDigest.isEqual(expected, header.getBytes(StandardCharsets.UTF_8))) {
            ctx.response().putHeader("WWW-Authenticate", "Bearer");
            json(ctx, 401, new JsonObject().put("error", "missing or wrong bearer token (Authorization: Bearer <http.token>)"));
            return false;
        }
        return true;
    }

    /** The tview named in the path, or null after answering 404. */
    TviewStatus find(RoutingContext ctx) {
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
}
