package io.tviewd.daemon.events;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.tviewd.config.EventsConfig;
import io.tviewd.connectors.events.Cascade;
import io.tviewd.connectors.events.EventHandler;
import io.tviewd.connectors.events.RefreshEvent;
import io.tviewd.daemon.metrics.DaemonMetrics;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/**
 * The in-process sinks: server-sent events and the Vert.x event bus, fed by the {@code live} event
 * stream. Keeps the last {@code events.sse-retention} events so SSE clients can resume with
 * {@code Last-Event-ID}; every client has a queue of at most {@code events.sse-client-buffer} events
 * and is disconnected when it falls further behind (it resumes from the retention window).
 *
 * <p>Threading: {@link #handle} runs on the event stream's thread and never blocks; each client's
 * writes happen on its connection's event loop.
 */
public final class LiveEvents implements EventHandler {

    private static final Logger LOG = LoggerFactory.getLogger(LiveEvents.class);

    /** An event kept for SSE; its JSON is written once, when a client first needs it. */
    private static final class Retained {
        private final RefreshEvent event;
        private volatile String json;

        Retained(RefreshEvent event) {
            this.event = event;
        }

        RefreshEvent event() {
            return event;
        }

        String json() {
            String j = json;
            if (j == null) {
                j = event.toJsonString();
                json = j;
            }
            return j;
        }
    }

    private final Vertx vertx;
    private final EventsConfig config;
    private final DaemonMetrics metrics;
    private final ArrayDeque<Retained> window = new ArrayDeque<>();
    private final List<Client> clients = new CopyOnWriteArrayList<>();
    /** Events with a version below this may be missing from the window (evicted, or before this start). */
    private long coveredFrom;

    /** @param coveredFrom the live stream's stored position at start: every later event will pass through here */
    LiveEvents(Vertx vertx, EventsConfig config, DaemonMetrics metrics, long coveredFrom) {
        this.vertx = vertx;
        this.config = config;
        this.metrics = metrics;
        this.coveredFrom = coveredFrom;
        vertx.eventBus().registerDefaultCodec(RefreshEvent.class, new RefreshEventCodec());
    }

    @Override
    public void handle(List<RefreshEvent> events) {
        List<Retained> batch = new ArrayList<>(events.size());
        for (RefreshEvent e : events) {
            batch.add(new Retained(e));
            // the codec turns the event into a JsonObject per local consumer: nothing is built when none listens
            vertx.eventBus().publish(config.eventBusAddress(), e);
        }
        metrics.eventsDelivered("eventbus", events.size());
        if (config.cascade()) {
            for (Cascade c : Cascade.of(events)) {
                vertx.eventBus().publish(config.eventBusAddress() + ".cascade", new JsonObject(c.toJsonString()));
            }
        }
        synchronized (window) {
            for (Retained r : batch) {
                window.addLast(r);
                while (window.size() > config.sseRetention()) {
                    coveredFrom = Math.max(coveredFrom, window.removeFirst().event().version() + 1);
                }
            }
            for (Client c : clients) {
                c.offer(batch);
            }
        }
        metrics.eventsDelivered("sse", events.size());
    }

    /**
     * Streams events of the given tviews (all when empty) to an SSE response, first those retained with a
     * version at or after {@code lastEventId} (the whole transaction of the last seen id again: consumers
     * dedupe by key and version), then live ones. When events after {@code lastEventId} may have been
     * evicted, sends {@code event: reset} first so the client knows to resynchronize. Returns false, serving nothing,
     * when {@code events.sse-max-clients} streams are open already.
     */
    public boolean subscribe(HttpServerRequest request, Set<String> tviews, Long lastEventId) {
        if (clients.size() >= config.sseMaxClients()) {
            return false;
        }
        HttpServerResponse response = request.response();
        Client client = new Client(vertx.getOrCreateContext(), request, tviews);
        response.setChunked(true).putHeader("content-type", "text/event-stream; charset=utf-8")
                .putHeader("cache-control", "no-cache").putHeader("x-accel-buffering", "no");
        response.write("retry: 1000\n\n");
        List<Retained> replay = new ArrayList<>();
        synchronized (window) {
            if (lastEventId != null) {
                if (lastEventId < coveredFrom) {
                    client.reset(lastEventId, coveredFrom);
                }
                for (Retained r : window) {
                    if (r.event().version() >= lastEventId) {
                        replay.add(r);
                    }
                }
            }
            clients.add(client);
            // the replay may exceed the client buffer: it is allowed on top of it
            client.allowance = replay.size();
            client.offer(replay);
        }
        response.closeHandler(v -> clients.remove(client));
        response.exceptionHandler(e -> clients.remove(client));
        return true;
    }

    public int clientCount() {
        return clients.size();
    }

    /** One SSE connection with its bounded queue. */
    private final class Client {
        private final Context context;
        private final HttpServerRequest request;
        private final HttpServerResponse response;
        private final Set<String> tviews;
        /** Frames to write: a retained event (its frame is built when written, so clients share its JSON) or a text. */
        private final ArrayDeque<Object> queue = new ArrayDeque<>();
        private boolean closed;
        /** Frames of the resume replay still queued, allowed beyond {@code events.sse-client-buffer}. */
        private int allowance;

        Client(Context context, HttpServerRequest request, Set<String> tviews) {
            this.context = context;
            this.request = request;
            this.response = request.response();
            this.tviews = tviews;
        }

        void reset(long lastEventId, long coveredFrom) {
            enqueue("event: reset\ndata: {\"reason\":\"events after Last-Event-ID " + lastEventId
                    + " may have left the retention window\",\"retainedFrom\":" + coveredFrom + "}\n\n");
        }

        void offer(List<Retained> events) {
            for (Retained r : events) {
                if (tviews.isEmpty() || tviews.contains(r.event().tview())
                        || tviews.contains(io.tviewd.connectors.TableName.parse(r.event().tview(), "public").name())) {
                    if (!enqueue(r)) {
                        return;
                    }
                }
            }
        }

        private boolean enqueue(Object frame) {
            synchronized (queue) {
                if (closed) {
                    return false;
                }
                if (queue.size() >= config.sseClientBuffer() + allowance) {
                    closed = true;
                    queue.clear();
                    clients.remove(this);
                    metrics.sseClientDropped();
                    LOG.warn("SSE client too slow: more than {} events queued (events.sse-client-buffer); disconnecting it",
                            config.sseClientBuffer());
                    context.runOnContext(v -> {
                        // end the stream and drop the connection: its unread buffers go with it
                        response.end(": too slow, disconnected; resume with Last-Event-ID\n\n");
                        request.connection().close();
                    });
                    return false;
                }
                queue.addLast(frame);
                if (queue.size() == 1) {
                    context.runOnContext(v -> drain());
                }
                return true;
            }
        }

        /** Writes queued frames while the connection accepts them; resumes from the drain handler. */
        private void drain() {
            while (!response.writeQueueFull()) {
                Object frame;
                synchronized (queue) {
                    if (closed) {
                        return;
                    }
                    frame = queue.pollFirst();
                    if (frame != null && allowance > 0) {
                        allowance--;
                    }
                }
                if (frame == null) {
                    return;
                }
                response.write(frame instanceof Retained r
                        ? "id: " + r.event().version() + "\nevent: " + r.event().op() + "\ndata: " + r.json() + "\n\n" : (String) frame);
            }
            response.drainHandler(v -> drain());
        }
    }
}
