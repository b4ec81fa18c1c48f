package io.tviewd.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;

import io.tviewd.config.DatabaseConfig;
import io.tviewd.connectors.events.RefreshEvent;
import io.tviewd.daemon.support.BlogDatabase;
import io.tviewd.daemon.support.Configs;
import io.tviewd.daemon.support.Daemons;
import io.tviewd.daemon.support.EventLedger;
import io.tviewd.daemon.support.Http;
import io.tviewd.daemon.support.SseClient;
import io.tviewd.daemon.support.Tviews;
import io.tviewd.daemon.support.Workloads;
import io.vertx.core.json.JsonObject;

/** The in-process sinks: SSE with Last-Event-ID resume, the event bus, in trigger and scheduled mode too. */
class EventsLiveIT {

    @Test
    void sseClient_disconnectsAndResumesWithLastEventId_missesNothing() throws Exception {
        DatabaseConfig db = BlogDatabase.create("ev_sse", 20, 60, 120);
        EventLedger.install(db);
        long seed = Workloads.seed() + 3;
        // a small transaction buffer: the first reconcile (one transaction, ~140 events) goes through the spill file
        try (Daemon daemon = Daemons.started(Configs.forDatabase(db, "TVIEWD_CDC_SLOT_NAME", "evsse",
                "TVIEWD_EVENTS_MAX_TRANSACTION_EVENTS", "100"))) {
            List<RefreshEvent> received = new ArrayList<>();
            String lastId;
            // from the start of the retention window: the daemon's first reconcile emitted events before we connected
            try (SseClient first = SseClient.connect(daemon.httpPort(), "", "0")) {
                assertThat(first.status()).isEqualTo(200);
                Workloads.run(db, seed, 2, 60);
                await().atMost(Duration.ofSeconds(30)).until(() -> first.events().size() >= 20);
                List<RefreshEvent> got = first.events();
                received.addAll(got);
                lastId = Long.toString(got.get(got.size() - 1).version());
            }
            // written while the client is away
            Workloads.run(db, seed + 1, 2, Workloads.opsPerWriter(100));
            Tviews.awaitConverged(db, Duration.ofSeconds(60), "seed " + seed);
            try (SseClient resumed = SseClient.connect(daemon.httpPort(), "", lastId);
                 SseClient postsOnly = SseClient.connect(daemon.httpPort(), "?tview=tv_post", "0")) {
                EventLedger.awaitCovered(db, () -> {
                    List<RefreshEvent> all = new ArrayList<>(received);
                    all.addAll(resumed.events());
                    return all;
                }, Duration.ofSeconds(60), "resumed SSE stream, seed " + seed);
                assertThat(resumed.frames()).noneMatch(f -> f.type().equals("reset"));
                assertThat(resumed.events()).allSatisfy(e -> assertThat(e.version()).isGreaterThanOrEqualTo(Long.parseLong(lastId)));
                List<RefreshEvent> all = new ArrayList<>(received);
                all.addAll(resumed.events());
                EventLedger.assertEventsMatch(db, all, "SSE resume, seed " + seed);
                await().atMost(Duration.ofSeconds(30)).until(() -> !postsOnly.events().isEmpty());
                assertThat(postsOnly.events()).allSatisfy(e -> assertThat(e.tview()).isEqualTo("public.tv_post"));
            }
            assertThat(Http.get(daemon.httpPort(), "/api/v1/events?tview=tv_nope").statusCode()).isEqualTo(404);
            assertThat(Http.get(daemon.httpPort(), "/api/v1/events?tview=tv_nope").body()).contains("No tview named tv_nope");
            try (SseClient bad = SseClient.connect(daemon.httpPort(), "", "not-a-version")) {
                assertThat(bad.status()).isEqualTo(400);
            }
        }
    }

    @Test
    void sseClientsBeyondTheLimit_areRefusedNamingIt_untilOneLeaves() throws Exception {
        DatabaseConfig db = BlogDatabase.create("ev_clients", 5, 10, 10);
        try (Daemon daemon = Daemons.started(Configs.forDatabase(db, "TVIEWD_CDC_SLOT_NAME", "evclients", "TVIEWD_EVENTS_SSE_MAX_CLIENTS", "2"));
             SseClient one = SseClient.connect(daemon.httpPort(), "", null);
             SseClient two = SseClient.connect(daemon.httpPort(), "?tview=tv_post", null)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> daemon.events().live().clientCount() == 2);
            HttpResponse<String> third = Http.get(daemon.httpPort(), "/api/v1/events");
            assertThat(third.statusCode()).isEqualTo(503);
            assertThat(third.body()).contains("Too many SSE clients: 2 streams are open, the limit is events.sse-max-clients (2)");
            two.close();
            await().atMost(Duration.ofSeconds(10)).until(() -> daemon.events().live().clientCount() == 1);
            try (SseClient again = SseClient.connect(daemon.httpPort(), "", null)) {
                assertThat(again.status()).isEqualTo(200);
                try (java.sql.Connection c = io.tviewd.daemon.support.Sql.session(db)) {
                    io.tviewd.daemon.support.Sql.exec(c, "UPDATE tb_post SET title = 'seen by both' WHERE pk_post = 1");
                }
                await().atMost(Duration.ofSeconds(30)).until(() -> again.events().stream().anyMatch(e -> e.data() != null
                        && e.data().toString().contains("seen by both")) && one.events().stream().anyMatch(e -> e.data() != null
                        && e.data().toString().contains("seen by both")));
            }
        }
    }

    @Test
    void sseClientOutsideTheRetentionWindow_isToldToReset_andASlowClientIsDisconnected() throws Exception {
        DatabaseConfig db = BlogDatabase.create("ev_window", 20, 60, 120);
        EventLedger.install(db);
        long seed = Workloads.seed() + 4;
        try (Daemon daemon = Daemons.started(Configs.forDatabase(db, "TVIEWD_CDC_SLOT_NAME", "evwindow",
                "TVIEWD_EVENTS_SSE_RETENTION", "50", "TVIEWD_EVENTS_SSE_CLIENT_BUFFER", "20"));
             Socket stalled = new Socket()) {
            // let the events of the daemon's first reconcile pass first
            int reconciled = EventLedger.expected(db).size();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                var sse = daemon.metrics().registry().find("tviewd.events.delivered").tag("sink", "sse").counter();
                return sse != null && sse.count() >= reconciled;
            });
            // a client that sends its request and never reads: its socket buffers fill, then its queue
            stalled.setReceiveBufferSize(1024);
            stalled.connect(new InetSocketAddress("127.0.0.1", daemon.httpPort()));
            OutputStream out = stalled.getOutputStream();
            out.write(("GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            await().atMost(Duration.ofSeconds(30)).until(() -> daemon.events().live().clientCount() == 1);

            Workloads.run(db, seed, 2, Workloads.opsPerWriter(200));
            Tviews.awaitConverged(db, Duration.ofSeconds(60), "seed " + seed);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(daemon.events().live().clientCount()).isZero();
                assertThat(Http.get(daemon.httpPort(), "/metrics").body()).contains("tviewd_events_sse_clients_dropped_total 1.0");
            });
            InputStream in = stalled.getInputStream();
            assertThat(in.readAllBytes().length).as("the server closed the stalled stream").isPositive();

            try (SseClient old = SseClient.connect(daemon.httpPort(), "", "1")) {
                await().atMost(Duration.ofSeconds(30)).until(() -> !old.frames().isEmpty());
                SseClient.Frame reset = old.frames().get(0);
                assertThat(reset.type()).isEqualTo("reset");
                assertThat(new JsonObject(reset.data()).getLong("retainedFrom")).isGreaterThan(1);
                await().atMost(Duration.ofSeconds(30)).until(() -> old.events().size() >= 40);
                assertThat(old.events().size()).isLessThanOrEqualTo(50);
            }
        }
    }

    /**
     * One source transaction that changes more keys than {@code refresh.max-keys-per-statement}: its refresh commits in
     * several transactions of at most that many keys, so no event stream has to spill one to disk; every key arrives.
     */
    @Test
    void aBatchOverTheKeyLimit_commitsInTransactionsOfAtMostThatManyKeys_andLosesNoEvent() throws Exception {
        DatabaseConfig db = BlogDatabase.create("ev_split", 20, 60, 120);
        BlogDatabase.populate(db);
        try (Daemon daemon = Daemons.started(Configs.forDatabase(db, "TVIEWD_CDC_SLOT_NAME", "evsplit",
                "TVIEWD_REFRESH_MAX_KEYS_PER_STATEMENT", "10"));
             java.sql.Connection c = io.tviewd.daemon.support.Sql.session(db)) {
            List<RefreshEvent> bus = new CopyOnWriteArrayList<>();
            daemon.vertx().eventBus().<JsonObject>consumer("tviewd.events", m -> bus.add(RefreshEvent.parse(m.body().encode())))
                    .completion().toCompletionStage().toCompletableFuture().get();
            io.tviewd.daemon.support.Sql.exec(c, "UPDATE tb_post SET title = title || ' (edited)'");
            Tviews.awaitConverged(db, Duration.ofSeconds(60), "after one transaction over every post");
            await().atMost(Duration.ofSeconds(30)).until(() -> bus.stream().filter(e -> e.tview().equals("public.tv_post"))
                    .map(RefreshEvent::keyText).distinct().count() == 60);
            Map<Long, Long> perTransaction = bus.stream().collect(java.util.stream.Collectors.groupingBy(RefreshEvent::version,
                    java.util.stream.Collectors.counting()));
            assertThat(perTransaction).as("events per refresh transaction (by commit LSN)").hasSizeGreaterThanOrEqualTo(6);
            assertThat(perTransaction.values()).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(10L));
        }
    }

    @Test
    void triggerAndScheduledModes_emitEventsToo_onTheEventBus() throws Exception {
        for (String[] mode : List.of(new String[] {"trigger", "evtrig"}, new String[] {"scheduled", "evsched"})) {
            DatabaseConfig db = BlogDatabase.create("ev_" + mode[0], 20, 60, 120);
            // the event bus replays nothing: start-up refreshes must find nothing to change, or their events
            // could be published before the consumers below are registered
            BlogDatabase.populate(db);
            EventLedger.install(db);
            long seed = Workloads.seed() + 5;
            try (Daemon daemon = Daemons.started(Configs.forDatabase(db, "TVIEWD_CDC_SLOT_NAME", mode[1],
                    "TVIEWD_REFRESH_DEFAULT_MODE", mode[0], "TVIEWD_REFRESH_DEFAULT_SCHEDULE", "1s", "TVIEWD_EVENTS_CASCADE", "true"))) {
                List<RefreshEvent> bus = new CopyOnWriteArrayList<>();
                List<JsonObject> cascades = new CopyOnWriteArrayList<>();
                daemon.vertx().eventBus().<JsonObject>consumer("tviewd.events", m -> bus.add(RefreshEvent.parse(m.body().encode())))
                        .completion().toCompletionStage().toCompletableFuture().get();
                daemon.vertx().eventBus().<JsonObject>consumer("tviewd.events.cascade", m -> cascades.add(m.body()))
                        .completion().toCompletionStage().toCompletableFuture().get();
                Workloads.run(db, seed, 2, Workloads.opsPerWriter(100));
                Tviews.awaitConverged(db, Duration.ofSeconds(60), mode[0] + " mode, seed " + seed);
                EventLedger.awaitCovered(db, () -> bus, Duration.ofSeconds(60), mode[0] + " mode on the event bus, seed " + seed);
                EventLedger.assertEventsMatch(db, bus, mode[0] + " mode, seed " + seed);
                assertThat(bus).extracting(RefreshEvent::mode).containsOnly(mode[0]);
                Map<String, RefreshEvent> byTxKey = EventLedger.deduped(bus);
                long cascaded = cascades.stream().mapToLong(c -> c.getJsonArray("updated").size() + c.getJsonArray("deleted").size()).sum();
                assertThat(cascaded).as("every event appears in its transaction's cascade").isEqualTo(bus.size());
                assertThat(cascades).allSatisfy(c -> c.getJsonArray("updated").forEach(u -> {
                    JsonObject o = (JsonObject) u;
                    assertThat(o.getString("__typename")).isIn("User", "Post");
                    assertThat(o.getString("operation")).isIn("CREATED", "UPDATED");
                }));
                assertThat(byTxKey).isNotEmpty();
            }
        }
    }

    /**
     * Any role may write a logical message with the daemon's prefix. Garbage is logged, counted and skipped (the stream
     * goes on); a well-formed message without the daemon's event key, which other roles cannot read, is never delivered.
     */
    @Test
    void poisonAndForgedMessages_areSkippedCountedAndNeverDelivered() throws Exception {
        DatabaseConfig db = BlogDatabase.create("ev_forged", 10, 20, 20);
        BlogDatabase.populate(db);
        try (Daemon daemon = Daemons.started(Configs.forDatabase(db, "TVIEWD_CDC_SLOT_NAME", "evforged"));
             java.sql.Connection c = io.tviewd.daemon.support.Sql.session(db)) {
            List<RefreshEvent> bus = new CopyOnWriteArrayList<>();
            daemon.vertx().eventBus().<JsonObject>consumer("tviewd.events", m -> bus.add(RefreshEvent.parse(m.body().encode())))
                    .completion().toCompletionStage().toCompletableFuture().get();
            io.tviewd.daemon.support.Sql.exec(c, "CREATE ROLE mallory_ev LOGIN; SET ROLE mallory_ev");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> io.tviewd.daemon.support.Sql.text(c, "SELECT key FROM tviewd.event_key"))
                    .hasMessageContaining("permission denied");
            String forgedKey = "00000000-0000-0000-0000-00000000f0f0";
            io.tviewd.daemon.support.Sql.exec(c, "SELECT pg_logical_emit_message(true, 'tviewd', 'not json at all')");
            io.tviewd.daemon.support.Sql.exec(c, "SELECT pg_logical_emit_message(true, 'tviewd', '{\"v\": 2, \"a\": \"guess\", "
                    + "\"t\": \"public.tv_post\", \"c\": {\"m\": \"cdc\"}, \"x\": 1, \"r\": \"t\", \"e\": [[\"u\", \"" + forgedKey + "\"]]}')");
            io.tviewd.daemon.support.Sql.exec(c, "RESET ROLE");
            io.tviewd.daemon.support.Sql.exec(c, "UPDATE tb_post SET title = 'after the forgery' WHERE pk_post = 1");
            String genuine = io.tviewd.daemon.support.Sql.text(c, "SELECT id::text FROM tb_post WHERE pk_post = 1");
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() ->
                    bus.stream().anyMatch(e -> e.key().asText().equals(genuine)));
            assertThat(bus).noneMatch(e -> e.key().asText().equals(forgedKey));
            assertThat(daemon.cdcStreaming()).isTrue();
            String metrics = io.tviewd.daemon.support.Http.get(daemon.httpPort(), "/metrics").body();
            assertThat(metrics).contains("tviewd_events_rejected_total{reason=\"forged\",stream=\"live\"} 1.0")
                    .contains("tviewd_events_rejected_total{reason=\"malformed\",stream=\"live\"} 1.0");
        }
    }

    /**
     * A function in {@code public} that matches a built-in the refresh SQL calls better than the built-in does
     * ({@code to_jsonb(uuid)} against {@code to_jsonb(anyelement)}) would run with the daemon's rights if its sessions
     * or trigger functions searched {@code public}; they search {@code pg_catalog, pg_temp} only.
     */
    @Test
    void aFunctionShadowingABuiltIn_neverRunsInRefreshes_cdcOrTrigger() throws Exception {
        DatabaseConfig db = BlogDatabase.create("ev_capture", 10, 20, 20);
        BlogDatabase.populate(db);
        try (java.sql.Connection c = io.tviewd.daemon.support.Sql.session(db)) {
            io.tviewd.daemon.support.Sql.exec(c, """
                    CREATE TABLE public.captured (who text, at timestamptz DEFAULT now());
                    CREATE FUNCTION public.to_jsonb(uuid) RETURNS jsonb LANGUAGE sql VOLATILE AS
                        $$ INSERT INTO public.captured (who) VALUES (current_user) RETURNING pg_catalog.to_jsonb('captured'::text) $$;
                    """);
            // the trap works for sessions with the default path
            assertThat(io.tviewd.daemon.support.Sql.text(c, "SELECT to_jsonb(gen_random_uuid())::text")).isEqualTo("\"captured\"");
            io.tviewd.daemon.support.Sql.exec(c, "DELETE FROM public.captured");
        }
        try (Daemon daemon = Daemons.started(io.tviewd.config.ConfigLoader.loadYaml("""
                tviews:
                  - table: tv_user
                    mode: trigger
                """, Configs.env(db, "TVIEWD_CDC_SLOT_NAME", "evcapture")));
             java.sql.Connection c = io.tviewd.daemon.support.Sql.session(db)) {
            List<RefreshEvent> bus = new CopyOnWriteArrayList<>();
            daemon.vertx().eventBus().<JsonObject>consumer("tviewd.events", m -> bus.add(RefreshEvent.parse(m.body().encode())))
                    .completion().toCompletionStage().toCompletableFuture().get();
            io.tviewd.daemon.support.Sql.exec(c, "UPDATE tb_post SET title = 'cdc path' WHERE pk_post = 1");
            io.tviewd.daemon.support.Sql.exec(c, "UPDATE tb_user SET name = 'trigger path' WHERE pk_user = 1");
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() ->
                    bus.stream().anyMatch(e -> e.mode().equals("cdc")) && bus.stream().anyMatch(e -> e.mode().equals("trigger")));
            assertThat(bus).noneMatch(e -> "captured".equals(e.key().asText()));
            assertThat(io.tviewd.daemon.support.Sql.text(c, "SELECT count(*)::text FROM public.captured")).isEqualTo("0");
        }
    }

    @Test
    void withoutData_eventsCarryNoRow_fromCdcAndTriggerRefreshesAlike() throws Exception {
        DatabaseConfig db = BlogDatabase.create("ev_nodata", 20, 60, 120);
        BlogDatabase.populate(db);
        EventLedger.install(db);
        try (java.sql.Connection c = io.tviewd.daemon.support.Sql.session(db)) {
            // the probe decodes from before the daemon's first start: its publication must exist from the slot's start on
            io.tviewd.daemon.support.Sql.exec(c, "CREATE PUBLICATION tviewd_events");
            io.tviewd.daemon.support.Sql.exec(c, "SELECT pg_create_logical_replication_slot('evnodata_probe', 'pgoutput')");
        }
        long seed = Workloads.seed() + 7;
        try (Daemon daemon = Daemons.started(io.tviewd.config.ConfigLoader.loadYaml("""
                tviews:
                  - table: tv_user
                    mode: trigger
                """, Configs.env(db, "TVIEWD_CDC_SLOT_NAME", "evnodata", "TVIEWD_EVENTS_DATA", "false")))) {
            List<RefreshEvent> bus = new CopyOnWriteArrayList<>();
            daemon.vertx().eventBus().<JsonObject>consumer("tviewd.events", m -> bus.add(RefreshEvent.parse(m.body().encode())))
                    .completion().toCompletionStage().toCompletableFuture().get();
            Workloads.run(db, seed, 2, Workloads.opsPerWriter(100));
            Tviews.awaitConverged(db, Duration.ofSeconds(60), "events without data, seed " + seed);
            EventLedger.awaitCovered(db, () -> bus, Duration.ofSeconds(60), "events without data, seed " + seed);
            EventLedger.assertEventsMatch(db, bus, false, "events without data, seed " + seed);
            assertThat(bus).extracting(RefreshEvent::mode).contains("cdc", "trigger");
            // nor do the messages in the WAL: a probe slot of its own reads them as written
            try (java.sql.Connection c = io.tviewd.daemon.support.Sql.session(db)) {
                // each event of a message is [op, key] without the row, [op, key, row] with it
                String counts = io.tviewd.daemon.support.Sql.text(c, "SELECT count(*) FILTER (WHERE n = 2) || '/' "
                        + "|| count(*) FILTER (WHERE n <> 2) FROM (SELECT json_array_length(e) AS n FROM (SELECT "
                        // a pgoutput message: 'M', flags, LSN, prefix and NUL, content length (4 bytes), content
                        + "convert_from(substr(data, position('\\x74766965776400'::bytea IN data) + 11), 'UTF8')::json AS m FROM "
                        + "pg_logical_slot_peek_binary_changes('evnodata_probe', NULL, NULL, 'proto_version', '1', "
                        + "'publication_names', 'tviewd_events', 'messages', 'true') WHERE get_byte(data, 0) = 77 "
                        + "AND position('\\x74766965776400'::bytea IN data) > 0) s, json_array_elements(m -> 'e') AS e) x");
                io.tviewd.daemon.support.Sql.exec(c, "SELECT pg_drop_replication_slot('evnodata_probe')");
                assertThat(counts).as("events without a row / with one").matches("[1-9][0-9]*/0");
            }
        }
    }

    @Test
    void manualRefresh_emitsEvents_withDeclaredTypenames_andTheStreamNeedsTheTokenWhenOneIsSet() throws Exception {
        DatabaseConfig db = BlogDatabase.create("ev_manual", 20, 60, 120);
        EventLedger.install(db);
        long seed = Workloads.seed() + 6;
        try (Daemon daemon = Daemons.started(io.tviewd.config.ConfigLoader.loadYaml("""
                tviews:
                  - table: tv_user
                    typename: Author
                """, Configs.env(db, "TVIEWD_CDC_SLOT_NAME", "evmanual", "TVIEWD_REFRESH_DEFAULT_MODE", "manual",
                "TVIEWD_HTTP_TOKEN", "s3cret")))) {
            List<RefreshEvent> bus = new CopyOnWriteArrayList<>();
            daemon.vertx().eventBus().<JsonObject>consumer("tviewd.events", m -> bus.add(RefreshEvent.parse(m.body().encode())))
                    .completion().toCompletionStage().toCompletableFuture().get();
            Workloads.run(db, seed, 2, 60);
            for (String tview : List.of("tv_user", "tv_post", "ta_post")) {
                assertThat(VerifyPopulateIT.post(daemon.httpPort(), "/api/v1/tviews/" + tview + "/refresh", "s3cret").statusCode())
                        .isEqualTo(200);
            }
            Tviews.awaitConverged(db, Duration.ofSeconds(30), "manual refresh, seed " + seed);
            EventLedger.awaitCovered(db, () -> bus, Duration.ofSeconds(30), "manual refresh on the event bus, seed " + seed);
            EventLedger.assertEventsMatch(db, bus, "manual mode, seed " + seed);
            assertThat(bus).extracting(RefreshEvent::mode).containsOnly("manual");
            assertThat(bus).filteredOn(e -> e.tview().equals("public.tv_user")).isNotEmpty()
                    .allSatisfy(e -> assertThat(e.typename()).as("declared typename").isEqualTo("Author"));
            assertThat(bus).filteredOn(e -> e.tview().equals("public.tv_post")).isNotEmpty()
                    .allSatisfy(e -> assertThat(e.typename()).isEqualTo("Post"));

            assertThat(Http.get(daemon.httpPort(), "/api/v1/events").statusCode()).isEqualTo(401);
        }
    }
}
