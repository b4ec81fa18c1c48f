package io.tviewd.daemon.http;

import static io.tviewd.daemon.http.Replies.json;

import java.util.List;
import java.util.Locale;
import java.util.Set;

import io.tviewd.config.HttpConfig;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * Runs before every route. The {@code Host} header must name this server ({@code http.allowed-hosts}; on a loopback
 * address, loopback names only: a page that rebinds its own name to 127.0.0.1 still sends that name). When
 * {@code http.token} is set, every endpoint but the two health checks needs it ({@code /metrics} too, unless
 * {@code http.metrics-public}): the API shows plans, row values in errors and events. A request that declares a body
 * over {@link #MAX_BODY_BYTES} is answered 413 before any route sees it, whichever route it is for (only the manual
 * refresh reads a body at all, through a body handler with the same limit).
 */
final class RequestGuard implements Handler<RoutingContext> {

    private static final Set<String> LOOPBACK_NAMES = Set.of("localhost", "127.0.0.1", "::1");
    private static final Set<String> OPEN = Set.of("/health/live", "/health/ready");
    /** The largest request body any route accepts: a manual refresh of some ten thousand keys. */
    static final int MAX_BODY_BYTES = 1 << 20;

    private final HttpConfig config;
    private final Replies replies;
    private final Set<String> allowedHosts;

    RequestGuard(HttpConfig config, Replies replies) {
        this.config = config;
        this.replies = replies;
        List<String> declared = config.allowedHosts().stream().map(h -> h.toLowerCase(Locale.ROOT)).toList();
        this.allowedHosts = !declared.isEmpty() ? Set.copyOf(declared) : loopback(config.host()) ? LOOPBACK_NAMES : null;
    }

    static boolean loopback(String host) {
        return LOOPBACK_NAMES.contains(host.toLowerCase(Locale.ROOT)) || host.startsWith("127.");
    }

    @Override
    public void handle(RoutingContext ctx) {
        if (allowedHosts != null) {
            // HTTP/1.1 Host header or HTTP/2 :authority alike
            io.vertx.core.net.HostAndPort authority = ctx.request().authority();
            String host = authority == null ? null : hostName(authority.host());
            if (host == null || !allowedHosts.contains(host)) {
                json(ctx, 421, new JsonObject().put("error", "Host '" + (host == null ? "" : host) + "' is not served here "
                        + "(allowed: " + allowedHosts.stream().sorted().toList() + "; set http.allowed-hosts)"));
                return;
            }
        }
        String declared = ctx.request().getHeader("Content-Length");
        if (declared != null && bodyTooLarge(declared)) {
            // the body is never read: the connection closes once the answer is out
            ctx.response().setStatusCode(413).putHeader("content-type", "application/json").putHeader("Connection", "close")
                    .end(new JsonObject().put("error", "request body of " + declared.trim() + " bytes is over the limit of "
                            + MAX_BODY_BYTES + " bytes").encode())
                    .onComplete(done -> ctx.request().connection().close());
            return;
        }
        String path = ctx.normalizedPath();
        boolean open = OPEN.contains(path) || (config.metricsPublic() && "/metrics".equals(path));
        if (!config.token().isEmpty() && !open && !replies.tokenMatches(ctx)) {
            return;
        }
        ctx.next();
    }

    private static boolean bodyTooLarge(String contentLength) {
        try {
            return Long.parseLong(contentLength.trim()) > MAX_BODY_BYTES;
        } catch (NumberFormatException e) {
            return false; // the HTTP codec has already refused a Content-Length that is not a number
        }
    }

    /** The name in a Host header, without port or IPv6 brackets, lower case; null when absent. */
    static String hostName(String header) {
        if (header == null || header.isBlank()) {
            return null;
        }
        String h = header.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end < 0 ? h : h.substring(1, end);
        }
        int colon = h.indexOf(':');
        return colon < 0 ? h : h.substring(0, colon);
    }
}
