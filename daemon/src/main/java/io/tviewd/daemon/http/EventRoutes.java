package io.tviewd.daemon.http;

import static io.tviewd.daemon.http.Replies.json;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import io.tviewd.config.HttpConfig;
import io.tviewd.daemon.events.EventStreams;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /api/v1/events[?tview=a,b]}: refresh events as server-sent events, resumable with
 * {@code Last-Event-ID}; the bearer token is required when {@code http.token} is set.
 */
final class EventRoutes {

    private final HttpConfig config;
    private final DaemonView daemon;
    private final Replies replies;

    EventRoutes(HttpConfig config, DaemonView daemon, Replies replies) {
        this.config = config;
        this.daemon = daemon;
        this.replies = replies;
    }

    void mount(Router router) {
        router.get("/api/v1/events").handler(this::events);
    }

    /** Server-sent events: {@code ?tview=a,b} filters (name or schema.name), {@code Last-Event-ID} resumes. */
    private void events(RoutingContext ctx) {
        EventStreams streams = daemon.events();
        if (streams == null || streams.live() == null) {
            json(ctx, 404, new JsonObject().put("error", "refresh events are disabled (events.enabled=false)"));
            return;
        }
        if (!config.token().isEmpty() && !replies.tokenMatches(ctx)) {
            return;
        }
        Set<String> tviews = new HashSet<>();
        String filter = ctx.request().getParam("tview");
        if (filter != null) {
            for (String t : filter.split(",")) {
                if (!t.isBlank()) {
                    tviews.add(t.trim());
                }
            }
            Set<String> known = new HashSet<>();
            daemon.pipeline().status().values().forEach(st -> {
                known.add(st.name());
                known.add(st.plan().tview().table().toString());
            });
            List<String> unknown = tviews.stream().filter(t -> !known.contains(t)).sorted().toList();
            if (!unknown.isEmpty()) {
                json(ctx, 404, new JsonObject().put("error", "No tview named " + String.join(", ", unknown) + " (parameter tview); known: "
                        + String.join(", ", new TreeSet<>(daemon.pipeline().status().keySet()))));
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
        if (!streams.live().subscribe(ctx.request(), tviews, lastEventId)) {
            json(ctx, 503, new JsonObject().put("error", "Too many SSE clients: " + streams.live().clientCount()
                    + " streams are open, the limit is events.sse-max-clients (" + daemon.config().events().sseMaxClients()
                    + "); retry later or raise it"));
        }
    }
}
