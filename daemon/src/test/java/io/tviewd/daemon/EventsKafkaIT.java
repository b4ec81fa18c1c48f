package io.tviewd.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.tviewd.config.DatabaseConfig;
import io.tviewd.connectors.events.RefreshEvent;
import io.tviewd.daemon.support.BlogDatabase;
import io.tviewd.daemon.support.Configs;
import io.tviewd.daemon.support.DaemonProcess;
import io.tviewd.daemon.support.Daemons;
import io.tviewd.daemon.support.EventLedger;
import io.tviewd.daemon.support.Http;
import io.tviewd.daemon.support.KafkaBroker;
import io.tviewd.daemon.support.Tviews;
import io.tviewd.daemon.support.Workloads;
import io.vertx.core.json.JsonObject;

/**
 * Refresh events through a real Kafka broker (in-process KRaft): for a random workload, the events on
 * the tview topics equal the committed tview-row changes recorded by {@link EventLedger} — across a
 * Kafka outage and a kill -9 of the daemon mid-stream.
 */
class EventsKafkaIT {

    private static final List<String> TOPICS = List.of("tviewd.public.tv_user", "tviewd.public.tv_post", "tviewd.public.ta_post");

    private static KafkaBroker broker;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = KafkaBroker.start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    private static List<String> topics(String prefix) {
        return TOPICS.stream().map(t -> t.replace("tviewd.", prefix + ".")).toList();
    }

    @Test
    void randomWorkload_eventsOnKafkaEqualCommittedTviewChanges() throws Exception {
        DatabaseConfig db = BlogDatabase.create("ev_kafka", 20, 60, 120);
        EventLedger.install(db);
        long seed = Workloads.seed();
        try (Daemon daemon = Daemons.started(Configs.forDatabase(db, "TVIEWD_KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers(),
                "TVIEWD_KAFKA_TOPIC_TEMPLATE", "diff.{schema}.{table}", "TVIEWD_CDC_SLOT_NAME", "evdiff",
                "TVIEWD_EVENTS_CASCADE", "true", "TVIEWD_KAFKA_CASCADE_TOPIC", "diff.cascade"));
             KafkaBroker.Collector kafka = broker.collect(withCascade(topics("diff"), "diff.cascade"))) {
            Workloads.run(db, seed, 3, Workloads.opsPerWriter(150));
            Tviews.awaitConverged(db, Duration.ofSeconds(60), "seed " + seed);
            awaitEvents(db, kafka, "seed " + seed);
            EventLedger.assertEventsMatch(db, kafka.events(), "seed " + seed);
            assertThat(kafka.events()).allSatisfy(e -> {
                assertThat(e.mode()).isIn("cdc", "reconcile");
                assertThat(e.typename()).isIn("User", "Post");
            });
            assertThat(kafka.events()).filteredOn(e -> e.mode().equals("cdc"))
                    .allSatisfy(e -> assertThat(e.sourceTables()).isNotEmpty());
            // one cascade per refresh transaction, holding exactly that transaction's events
            Map<Long, Integer> eventsPerTx = new java.util.HashMap<>();
            EventLedger.deduped(kafka.events()).values().forEach(e -> eventsPerTx.merge(e.txid(), 1, Integer::sum));
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                Map<Long, Integer> cascaded = new java.util.HashMap<>();
                for (String c : kafka.cascades()) {
                    JsonObject o = new JsonObject(c);
                    cascaded.put(o.getLong("txid"), o.getJsonArray("updated").size() + o.getJsonArray("deleted").size());
                }
                assertThat(cascaded).isEqualTo(eventsPerTx);
            });
            String metrics = Http.get(daemon.httpPort(), "/metrics").body();
            assertThat(metrics).contains("tviewd_events_delivered_total{sink=\"kafka\"}")
                    .contains("tviewd_events_emitted_total").contains("tviewd_events_sink_up{sink=\"kafka\"} 1.0");
        }
    }

    /**
     * An event Kafka refuses for good (a document larger than the producer's max.request.size) is logged, counted and
     * skipped: retrying it forever would hold every later event and the slot's WAL. The stream goes on.
     */
    @Test
    void anEventKafkaRefusesForGood_isSkippedAndCounted_laterEventsArrive() throws Exception {
        DatabaseConfig db = BlogDatabase.create("ev_large", 10, 20, 20);
        try (Daemon daemon = Daemons.started(Configs.forDatabase(db, "TVIEWD_KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers(),
                "TVIEWD_KAFKA_TOPIC_TEMPLATE", "large.{schema}.{table}", "TVIEWD_CDC_SLOT_NAME", "evlarge"));
             KafkaBroker.Collector kafka = broker.collect(topics("large"));
             java.sql.Connection c = io.tviewd.daemon.support.Sql.session(db)) {
            String big = io.tviewd.daemon.support.Sql.text(c, "SELECT id::text FROM tb_post WHERE pk_post = 1");
            String small = io.tviewd.daemon.support.Sql.text(c, "SELECT id::text FROM tb_post WHERE pk_post = 2");
            // about 3 MB of document, well over the producer's 1 MB max.request.size
            io.tviewd.daemon.support.Sql.exec(c, "UPDATE tb_post SET body = repeat(md5(random()::text), 100000) WHERE pk_post = 1");
            io.tviewd.daemon.support.Sql.exec(c, "UPDATE tb_post SET title = 'after the large one' WHERE pk_post = 2");
            await().atMost(Duration.ofSeconds(60)).until(() -> kafka.events().stream()
                    .anyMatch(e -> e.keyText().equals(small) && e.data() != null && e.data().toString().contains("after the large one")));
            assertThat(kafka.events()).noneMatch(e -> e.keyText().equals(big) && e.data() != null && e.data().toString().length() > 1_000_000);
            String metrics = Http.get(daemon.httpPort(), "/metrics").body();
            assertThat(metrics).contains("tviewd_events_sink_up{sink=\"kafka\"} 1.0");
            assertThat(java.util.regex.Pattern.compile("tviewd_events_refused_total\\{sink=\"kafka\"} [1-9]").matcher(metrics).find())
                    .as(metrics).isTrue();
            assertThat(daemon.events().deliveries().get(0).lastRefused()).contains("key " + big).contains("max.request.size");
        }
    }

    /**
     * The producer's SASL settings against a listener that requires them: with the right password events arrive; with a
     * wrong one Kafka refuses the daemon, and the sink stops naming that instead of retrying for ever.
     */
    @Test
    void saslCredentials_reachAListenerThatRequiresThem_andWrongOnesStopTheSink() throws Exception {
        DatabaseConfig db = BlogDatabase.create("ev_sasl", 5, 10, 10);
        String[] sasl = {"TVIEWD_KAFKA_BOOTSTRAP_SERVERS", broker.saslBootstrapServers(), "TVIEWD_KAFKA_TOPIC_TEMPLATE", "sasl.{schema}.{table}",
                "TVIEWD_CDC_SLOT_NAME", "evsasl", "TVIEWD_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT", "TVIEWD_KAFKA_SASL_MECHANISM", "PLAIN",
                "TVIEWD_KAFKA_SASL_USERNAME", KafkaBroker.SASL_USER, "TVIEWD_KAFKA_RETRY_BACKOFF", "100ms", "TVIEWD_KAFKA_DELIVERY_TIMEOUT", "5s"};
        try (Daemon daemon = Daemons.started(Configs.forDatabase(db, with(sasl, "TVIEWD_KAFKA_SASL_PASSWORD", KafkaBroker.SASL_PASSWORD)));
             KafkaBroker.Collector kafka = broker.collect(topics("sasl"));
             java.sql.Connection c = io.tviewd.daemon.support.Sql.session(db)) {
            io.tviewd.daemon.support.Sql.exec(c, "UPDATE tb_post SET title = 'over sasl' WHERE pk_post = 1");
            await().atMost(Duration.ofSeconds(60)).until(() -> kafka.events().stream()
                    .anyMatch(e -> e.data() != null && e.data().toString().contains("over sasl")));
        }
        try (Daemon daemon = Daemons.started(Configs.forDatabase(db, with(sasl, "TVIEWD_KAFKA_SASL_PASSWORD", "wrong")));
             java.sql.Connection c = io.tviewd.daemon.support.Sql.session(db)) {
            io.tviewd.daemon.support.Sql.exec(c, "UPDATE tb_post SET title = 'refused' WHERE pk_post = 1");
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                String ready = Http.get(daemon.httpPort(), "/health/ready").body();
                assertThat(ready).contains("\"id\":\"sink-kafka\",\"status\":\"STOPPED\"").contains("Kafka refuses the daemon")
                        .doesNotContain("wrong");
            });
            Tviews.awaitConverged(db, Duration.ofSeconds(30), "the Kafka sink refused, refresh goes on");
        }
    }

    /** The producer's TLS settings against a listener that speaks only TLS, trusting its certificate from a PEM file. */
    @Test
    void tlsWithACaFile_deliversToAListenerThatSpeaksOnlyTls() throws Exception {
        DatabaseConfig db = BlogDatabase.create("ev_tls_ok", 5, 10, 10);
        try (Daemon daemon = Daemons.started(Configs.forDatabase(db, "TVIEWD_KAFKA_BOOTSTRAP_SERVERS", broker.sslBootstrapServers(),
                "TVIEWD_KAFKA_TOPIC_TEMPLATE", "tlsok.{schema}.{table}", "TVIEWD_CDC_SLOT_NAME", "evtlsok",
                "TVIEWD_KAFKA_SECURITY_PROTOCOL", "SSL", "TVIEWD_KAFKA_SSL_CA_FILE", broker.caFile().toString()));
             KafkaBroker.Collector kafka = broker.collect(topics("tlsok"));
             java.sql.Connection c = io.tviewd.daemon.support.Sql.session(db)) {
            io.tviewd.daemon.support.Sql.exec(c, "UPDATE tb_post SET title = 'over tls' WHERE pk_post = 1");
            await().atMost(Duration.ofSeconds(60)).until(() -> kafka.events().stream()
                    .anyMatch(e -> e.data() != null && e.data().toString().contains("over tls")));
            assertThat(Http.get(daemon.httpPort(), "/metrics").body()).contains("tviewd_events_sink_up{sink=\"kafka\"} 1.0");
        }
    }

    /** The Kafka sink's delivery error count from the daemon's metrics, or -1 when absent. */
    private static long deliveryErrors(Daemon daemon) throws Exception {
        return java.util.regex.Pattern.compile("tviewd_events_delivery_errors_total\\{sink=\"kafka\"} ([0-9.]+)")
                .matcher(Http.get(daemon.httpPort(), "/metrics").body()).results().mapToLong(m -> (long) Double.parseDouble(m.group(1)))
                .findFirst().orElse(-1);
    }

    private static String[] with(String[] env, String... more) {
        return java.util.stream.Stream.concat(java.util.Arrays.stream(env), java.util.Arrays.stream(more)).toArray(String[]::new);
    }

    /**
     * A sink-wide error retrying cannot fix (here TLS settings whose CA file is not a certificate, so no producer can be
     * created) stops the Kafka sink loudly instead of retrying for ever: readiness names it STOPPED with the cause,
     * refresh goes on, and the events wait in the WAL until the settings are fixed and the daemon restarted.
     */
    @Test
    void settingsKafkaCannotWorkWith_stopTheSinkNamingTheCause_refreshGoesOn_eventsArriveAfterTheFix() throws Exception {
        DatabaseConfig db = BlogDatabase.create("ev_tls", 5, 10, 10);
        java.nio.file.Path ca = java.nio.file.Files.createTempFile("tviewd-not-a-ca", ".pem");
        java.nio.file.Files.writeString(ca, "-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n");
        String[] common = {"TVIEWD_KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers(), "TVIEWD_KAFKA_TOPIC_TEMPLATE", "tls.{schema}.{table}",
                "TVIEWD_CDC_SLOT_NAME", "evtls", "TVIEWD_KAFKA_RETRY_BACKOFF", "100ms"};
        String[] tls = java.util.stream.Stream.concat(java.util.Arrays.stream(common), java.util.stream.Stream.of(
                "TVIEWD_KAFKA_SECURITY_PROTOCOL", "SSL", "TVIEWD_KAFKA_SSL_CA_FILE", ca.toString())).toArray(String[]::new);
        try (Daemon daemon = Daemons.started(Configs.forDatabase(db, tls));
             java.sql.Connection c = io.tviewd.daemon.support.Sql.session(db)) {
            io.tviewd.daemon.support.Sql.exec(c, "UPDATE tb_post SET title = 'while stopped' WHERE pk_post = 1");
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                String ready = Http.get(daemon.httpPort(), "/health/ready").body();
                assertThat(ready).contains("\"id\":\"sink-kafka\",\"status\":\"STOPPED\"")
                        .contains("the Kafka producer cannot be created from the kafka.* settings");
            });
            Tviews.awaitConverged(db, Duration.ofSeconds(30), "the Kafka sink stopped, refresh goes on");
            long errors = deliveryErrors(daemon);
            // a stopped sink does not retry: its error count stays put (with a 100 ms retry backoff it would climb)
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> deliveryErrors(daemon) == errors);
        } finally {
            java.nio.file.Files.deleteIfExists(ca);
        }
        try (Daemon daemon = Daemons.started(Configs.forDatabase(db, common));
             KafkaBroker.Collector kafka = broker.collect(topics("tls"))) {
            await().atMost(Duration.ofSeconds(60)).until(() -> kafka.events().stream()
                    .anyMatch(e -> e.data() != null && e.data().toString().contains("while stopped")));
        }
    }

    @Test
    void kafkaOutage_refreshContinuesReadinessDegradedAndEventsArriveAfterwards() throws Exception {
        DatabaseConfig db = BlogDatabase.create("ev_outage", 20, 60, 120);
        EventLedger.install(db);
        long seed = Workloads.seed() + 1;
        try (Daemon daemon = Daemons.started(Configs.forDatabase(db, "TVIEWD_KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers(),
                "TVIEWD_KAFKA_TOPIC_TEMPLATE", "outage.{schema}.{table}", "TVIEWD_CDC_SLOT_NAME", "evoutage",
                "TVIEWD_KAFKA_DELIVERY_TIMEOUT", "2s",
                "TVIEWD_KAFKA_RETRY_BACKOFF", "200ms"));
             KafkaBroker.Collector kafka = broker.collect(topics("outage"))) {
            Workloads.run(db, seed, 2, 40);
            awaitEvents(db, kafka, "before the outage");

            broker.stop();
            long downSince = System.nanoTime();
            try {
                Workloads.run(db, seed + 7, 2, Workloads.opsPerWriter(100));
                // freshness does not wait for Kafka
                Tviews.awaitConverged(db, Duration.ofSeconds(60), "Kafka down, seed " + seed);
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    HttpResponse<String> ready = Http.get(daemon.httpPort(), "/health/ready");
                    assertThat(ready.statusCode()).isEqualTo(200);
                    JsonObject body = new JsonObject(ready.body());
                    assertThat(body.getString("status")).isEqualTo("DEGRADED");
                    assertThat(ready.body()).contains("\"id\":\"sink-kafka\",\"status\":\"DEGRADED\"");
                });
                assertThat(Http.get(daemon.httpPort(), "/metrics").body()).contains("tviewd_events_sink_up{sink=\"kafka\"} 0.0")
                        .containsPattern("tviewd_events_delivery_errors_total\\{sink=\"kafka\"} [1-9]");
                // Kafka stays down a whole minute, writes going on, before it comes back
                long[] round = {0};
                await().atMost(Duration.ofSeconds(75)).pollInterval(Duration.ofSeconds(2)).until(() -> {
                    Workloads.run(db, seed + 8 + round[0]++, 1, 10);
                    return System.nanoTime() - downSince >= Duration.ofSeconds(60).toNanos();
                });
                Tviews.awaitConverged(db, Duration.ofSeconds(60), "Kafka down 60 s, seed " + seed);
            } finally {
                broker.restart();
            }
            awaitEvents(db, kafka, "after the outage, seed " + seed);
            EventLedger.assertNothingLost(db, kafka.events(), "Kafka outage, seed " + seed);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(new JsonObject(Http.get(daemon.httpPort(), "/health/ready").body()).getString("status")).isEqualTo("UP"));
        }
    }

    @Test
    void killMinus9FiveTimesMidStream_restartedDaemonLosesNoRowAndNoEvent() throws Exception {
        DatabaseConfig db = BlogDatabase.create("ev_kill", 20, 60, 120);
        EventLedger.install(db);
        long seed = Workloads.seed() + 2;
        String[] env = {"TVIEWD_CDC_SLOT_NAME", "evkill", "TVIEWD_KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers(),
                "TVIEWD_KAFKA_TOPIC_TEMPLATE", "kill.{schema}.{table}", "TVIEWD_CDC_OFFSET_FLUSH_INTERVAL", "10ms"};
        try (KafkaBroker.Collector kafka = broker.collect(topics("kill"))) {
            for (int kill = 1; kill <= 5; kill++) {
                long s = seed + kill;
                int before = kafka.events().size();
                try (DaemonProcess daemon = DaemonProcess.start(db, "ev-kill-" + kill, env)) {
                    // the differential workload runs while the daemon is killed in the middle of it
                    CompletableFuture<Long> writes = CompletableFuture.supplyAsync(() -> {
                        try {
                            return Workloads.run(db, s, 3, Workloads.opsPerWriter(60));
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    });
                    await().atMost(Duration.ofSeconds(60)).until(() -> kafka.events().size() > before + 10 || writes.isDone());
                    daemon.kill();
                    writes.join();
                }
            }
            try (DaemonProcess last = DaemonProcess.start(db, "ev-kill-6", env)) {
                Tviews.awaitConverged(db, Duration.ofSeconds(60), "after 5 × kill -9, seed " + seed);
                awaitEvents(db, kafka, "after 5 × kill -9, seed " + seed);
                EventLedger.assertNothingLost(db, kafka.events(), "kill -9 five times under the workload, seed " + seed);
            }
        }
    }

    private static List<String> withCascade(List<String> topics, String cascade) {
        List<String> out = new java.util.ArrayList<>(topics);
        out.add(cascade);
        return out;
    }

    /** Waits until every committed change has an event (then the caller checks there is nothing more). */
    private static void awaitEvents(DatabaseConfig db, KafkaBroker.Collector kafka, String context) {
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).alias("events on Kafka (" + context + ")")
                .until(() -> {
                    Map<String, EventLedger.Change> expected = EventLedger.expected(db);
                    Map<String, RefreshEvent> got = EventLedger.deduped(kafka.events());
                    return got.keySet().containsAll(expected.keySet());
                });
    }
}
