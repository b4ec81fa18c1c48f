package io.tviewd.daemon.support;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import io.tviewd.connectors.events.RefreshEvent;

/** A server-sent-events client reading {@code GET /api/v1/events} on a background thread until closed. */
public final class SseClient implements AutoCloseable {

    /** One received frame: its {@code event:} type, {@code id:} and data. */
    public record Frame(String type, String id, String data) {
    }

    private final List<Frame> frames = new CopyOnWriteArrayList<>();
    private final Stream<String> lines;
    private final Thread reader;
    private final int status;

    private SseClient(HttpResponse<Stream<String>> response) {
        this.status = response.statusCode();
        this.lines = response.body();
        this.reader = new Thread(this::read, "test-sse-client");
        reader.setDaemon(true);
        reader.start();
    }

    /** Connects; {@code lastEventId} may be null. */
    public static SseClient connect(int port, String query, String lastEventId) throws Exception {
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/events" + query)).GET();
        if (lastEventId != null) {
            req.header("Last-Event-ID", lastEventId);
        }
        HttpClient client = HttpClient.newBuilder().connectTimeout(java.time.Duration.ofSeconds(5)).build();
        return new SseClient(client.sendAsync(req.build(), HttpResponse.BodyHandlers.ofLines()).get(10, java.util.concurrent.TimeUnit.SECONDS));
    }

    private void read() {
        String type = "message";
        String id = null;
        StringBuilder data = new StringBuilder();
        try {
            Iterator<String> it = lines.iterator();
            while (it.hasNext()) {
                String line = it.next();
                if (line.isEmpty()) {
                    if (!data.isEmpty()) {
                        frames.add(new Frame(type, id, data.toString()));
                    }
                    type = "message";
                    id = null;
                    data.setLength(0);
                } else if (line.startsWith("event: ")) {
                    type = line.substring(7);
                } else if (line.startsWith("id: ")) {
                    id = line.substring(4);
                } else if (line.startsWith("data: ")) {
                    data.append(line.substring(6));
                }
            }
        } catch (RuntimeException e) {
            // closed by the test or by the server
        }
    }

    public int status() {
        return status;
    }

    public List<Frame> frames() {
        return List.copyOf(frames);
    }

    /** The refresh events received (frames of type upsert or delete), in order. */
    public List<RefreshEvent> events() {
        List<RefreshEvent> out = new ArrayList<>();
        for (Frame f : frames) {
            if (f.type().equals(RefreshEvent.UPSERT) || f.type().equals(RefreshEvent.DELETE)) {
                RefreshEvent e = RefreshEvent.parse(f.data());
                if (!Long.toString(e.version()).equals(f.id())) {
                    throw new IllegalStateException("SSE id " + f.id() + " is not the event version " + e.version());
                }
                out.add(e);
            }
        }
        return out;
    }

    /** True once the server ended the stream. */
    public boolean ended() {
        return !reader.isAlive();
    }

    @Override
    public void close() throws InterruptedException {
        lines.close();
        reader.join(5_000);
    }
}
