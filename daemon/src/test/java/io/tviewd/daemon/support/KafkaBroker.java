package io.tviewd.daemon.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Time;

import io.tviewd.connectors.events.RefreshEvent;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;

/**
 * A real single-node Kafka (KRaft, broker and controller in one) inside the test JVM, on 127.0.0.1
 * only. {@link #stop} and {@link #restart} simulate an outage: the broker comes back on the same port
 * with the same data.
 */
public final class KafkaBroker implements AutoCloseable {

    private final Path dir;
    private final int port;
    private final Properties props = new Properties();
    private KafkaRaftServer server;

    /** The user and password the SASL listener accepts (PLAIN). */
    public static final String SASL_USER = "tviewd";
    public static final String SASL_PASSWORD = "kafka-s3cret";

    private final int saslPort;
    private final int sslPort;
    private final SelfSignedCertificate certificate;

    private KafkaBroker(Path dir, int port, int saslPort, int sslPort, int controllerPort) throws Exception {
        this.dir = dir;
        this.port = port;
        this.saslPort = saslPort;
        this.sslPort = sslPort;
        this.certificate = SelfSignedCertificate.create(dir.resolve("tls"));
        props.put("process.roles", "broker,controller");
        props.put("node.id", "1");
        props.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",SASL_PLAINTEXT://127.0.0.1:" + saslPort
                + ",SSL://127.0.0.1:" + sslPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
        props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port + ",SASL_PLAINTEXT://127.0.0.1:" + saslPort
                + ",SSL://127.0.0.1:" + sslPort);
        props.put("controller.listener.names", "CONTROLLER");
        props.put("inter.broker.listener.name", "PLAINTEXT");
        props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL,CONTROLLER:PLAINTEXT");
        // a third listener speaking TLS with a self-signed certificate ({@link #caFile})
        props.put("listener.name.ssl.ssl.keystore.location", certificate.keyStore().toString());
        props.put("listener.name.ssl.ssl.keystore.type", "PKCS12");
        props.put("listener.name.ssl.ssl.keystore.password", SelfSignedCertificate.PASSWORD);
        props.put("listener.name.ssl.ssl.key.password", SelfSignedCertificate.PASSWORD);
        // a second listener that authenticates clients (SASL PLAIN), for the producer's SASL settings
        props.put("sasl.enabled.mechanisms", "PLAIN");
        props.put("listener.name.sasl_plaintext.plain.sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required "
                + "username=\"admin\" password=\"admin-s3cret\" user_admin=\"admin-s3cret\" user_" + SASL_USER + "=\"" + SASL_PASSWORD + "\";");
        props.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        props.put("log.dirs", dir.resolve("logs").toString());
        props.put("offsets.topic.replication.factor", "1");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("group.initial.rebalance.delay.ms", "0");
        props.put("num.partitions", "3");
        props.put("auto.create.topics.enable", "true");
    }

    /** Formats a fresh log directory and starts the broker. */
    public static KafkaBroker start() throws Exception {
        KafkaBroker b = new KafkaBroker(Files.createTempDirectory("tviewd-kafka"), freePort(), freePort(), freePort(), freePort());
        Path config = b.dir.resolve("server.properties");
        try (OutputStream out = Files.newOutputStream(config)) {
            b.props.store(out, "tviewd test broker");
        }
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        int rc = StorageTool.execute(new String[] {"format", "-t", Uuid.randomUuid().toString(), "-c", config.toString()},
                new PrintStream(log, true, StandardCharsets.UTF_8));
        if (rc != 0) {
            throw new IllegalStateException("formatting the Kafka log dir failed: " + log.toString(StandardCharsets.UTF_8));
        }
        b.startServer();
        return b;
    }

    private void startServer() {
        server = new KafkaRaftServer(new KafkaConfig(props), Time.SYSTEM);
        server.startup();
    }

    /** Restarts a stopped broker (same port, same data). */
    public synchronized void restart() {
        if (server == null) {
            startServer();
        }
    }

    /** Stops the broker; clients see connection refused until {@link #restart}. */
    public synchronized void stop() {
        if (server != null) {
            server.shutdown();
            server.awaitShutdown();
            server = null;
        }
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    /** The listener that speaks TLS only, with the certificate in {@link #caFile}. */
    public String sslBootstrapServers() {
        return "127.0.0.1:" + sslPort;
    }

    /** PEM of the TLS listener's (self-signed) certificate, for the client's trust. */
    public Path caFile() {
        return certificate.certPem();
    }

    /** The listener that requires SASL PLAIN ({@link #SASL_USER}, {@link #SASL_PASSWORD}). */
    public String saslBootstrapServers() {
        return "127.0.0.1:" + saslPort;
    }

    /** Starts a consumer that reads the topics from the beginning, in the background, until closed. */
    public Collector collect(List<String> topics) {
        return new Collector(topics);
    }

    /** Refresh events read from topics, in the order of each partition (a key's events stay in one). */
    public final class Collector implements AutoCloseable {
        private final List<RefreshEvent> events = new CopyOnWriteArrayList<>();
        private final List<String> cascades = new CopyOnWriteArrayList<>();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;
        private volatile RuntimeException failure;

        private Collector(List<String> topics) {
            Properties p = new Properties();
            p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
            p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
            p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
            thread = new Thread(() -> {
                try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
                    Set<TopicPartition> assigned = new HashSet<>();
                    long nextCheck = 0;
                    while (running.get()) {
                        if (System.nanoTime() >= nextCheck) {
                            nextCheck = System.nanoTime() + Duration.ofSeconds(1).toNanos();
                            assignNew(consumer, topics, assigned);
                        }
                        if (assigned.isEmpty()) {
                            continue;
                        }
                        try {
                            for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(100))) {
                                if (r.topic().endsWith(".cascade")) {
                                    cascades.add(r.value());
                                    continue;
                                }
                                RefreshEvent e = RefreshEvent.parse(r.value());
                                if (!e.keyText().equals(r.key())) {
                                    throw new IllegalStateException("record key " + r.key() + " is not the event key " + e.keyText());
                                }
                                events.add(e);
                            }
                        } catch (org.apache.kafka.common.errors.WakeupException | org.apache.kafka.common.errors.InterruptException e) {
                            return;
                        }
                    }
                } catch (RuntimeException e) {
                    failure = e;
                }
            }, "test-kafka-collector");
            thread.setDaemon(true);
            thread.start();
        }

        private void assignNew(KafkaConsumer<String, String> consumer, List<String> topics, Set<TopicPartition> assigned) {
            try {
                Set<TopicPartition> all = new HashSet<>(assigned);
                for (String t : topics) {
                    var parts = consumer.partitionsFor(t, Duration.ofSeconds(2));
                    if (parts != null) {
                        parts.forEach(pi -> all.add(new TopicPartition(pi.topic(), pi.partition())));
                    }
                }
                if (!all.equals(assigned)) {
                    Set<TopicPartition> added = new HashSet<>(all);
                    added.removeAll(assigned);
                    consumer.assign(all);
                    consumer.seekToBeginning(added);
                    assigned.clear();
                    assigned.addAll(all);
                }
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                // broker down or topic not there yet: try again on the next round
            }
        }

        /** Cascade records received so far (topics named {@code *.cascade}), as JSON text. */
        public List<String> cascades() {
            return List.copyOf(cascades);
        }

        /** Events received so far, in arrival order. */
        public List<RefreshEvent> events() {
            if (failure != null) {
                throw failure;
            }
            return List.copyOf(events);
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(10_000);
        }
    }

    @Override
    public void close() {
        stop();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
            // a temp directory; the OS cleans it eventually
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
