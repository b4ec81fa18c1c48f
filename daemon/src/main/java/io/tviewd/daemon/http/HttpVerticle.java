package io.tviewd.daemon.http;

import io.tviewd.config.HttpConfig;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;

/**
 * The HTTP server of the daemon: health and metrics ({@link HealthRoutes}), the tview resource
 * ({@link TviewRoutes}) and the SSE event stream ({@link EventRoutes}). Handlers never block the event
 * loop: the database check and admin operations run on worker threads; everything else reads in-memory state.
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
 *   <li>{@code POST /api/v1/tviews/{name}/cutover} — mode change, make-before-break (bearer token)</li>
 * </ul>
 */
public final class HttpVerticle extends VerticleBase {

    private final HttpConfig config;
    private final DaemonView daemon;
    private final DatabaseCheck databaseCheck;
    private HttpServer server;

    public HttpVerticle(HttpConfig config, DaemonView daemon, DatabaseCheck databaseCheck) {
        this.config = config;
        this.daemon = daemon;
        this.databaseCheck = databaseCheck;
    }

    @Override
    public Future<?> start() {
        Router router = Router.router(vertx);
        Replies replies = new Replies(config, daemon);
        router.route().handler(new RequestGuard(config, replies));
        new HealthRoutes(vertx, daemon, databaseCheck).mount(router);
        new TviewRoutes(vertx, daemon, replies).mount(router);
        new EventRoutes(config, daemon, replies).mount(router);
        HttpServerOptions options = new HttpServerOptions().setHost(config.host()).setPort(config.port());
        if (config.tls()) {
            options.setSsl(true).setKeyCertOptions(new io.vertx.core.net.PemKeyCertOptions()
                    .setCertPath(config.tlsCertFile()).setKeyPath(config.tlsKeyFile()));
        }
        return vertx.createHttpServer(options)
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
    public int actualPort() {
        return server == null ? -1 : server.actualPort();
    }
}
