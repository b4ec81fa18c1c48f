package io.tviewd.connectors.kafka;

import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;

import io.tviewd.config.KafkaConfig;
import io.tviewd.connectors.TableName;
import io.tviewd.connectors.events.Cascade;
import io.tviewd.connectors.events.EventSink;
import io.tviewd.connectors.events.RefreshEvent;

/**
 * Publishes refresh events to Kafka: one topic per tview ({@code kafka.topic-template}), record key =
 * the tview key (so a key's events stay in order on one partition), value = the event JSON. The producer
 * is idempotent with {@code acks=all}; {@link #deliver} returns only when every record was acknowledged,
 * and fails after {@code kafka.delivery-timeout} otherwise. A retry reuses the producer (records of the
 * failed attempt may still arrive: duplicates, which consumers dedupe); only a fatal producer error
 * replaces it. Its memory stays bounded by the producer's {@code buffer.memory}.
 *
 * <p>Not thread-safe: one event stream thread calls it; the sends run on the sink's own thread.
 */
public final class KafkaEventSink implements EventSink {

    private final KafkaConfig config;
    /** Runs the attempts, one at a time, in order; owns {@link #producer}. */
    private final ExecutorService sender = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "tviewd-kafka-sender");
        t.setDaemon(true);
        return t;
    });
    private KafkaProducer<String, String> producer;
    /** The attempt of the current batch, kept while it outlives {@link #deliver}'s wait. */
    private Future<List<Refused>> attempt;

    public KafkaEventSink(KafkaConfig config) {
        this.config = config;
    }

    @Override
    public String name() {
        return "kafka";
    }

    /** The producer settings: idempotent, acks=all, bounded blocking and delivery time. */
    public static Properties producerProperties(KafkaConfig config) {
        long delivery = config.deliveryTimeout().toMillis();
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "tviewd");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(Math.max(500, delivery / 2)));
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Long.toString(Math.max(500, delivery / 2) + 5 + delivery / 2));
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(delivery));
        p.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "1000");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put("security.protocol", config.securityProtocol());
        if (config.securityProtocol().endsWith("SSL") && !config.sslCaFile().isEmpty()) {
            p.put("ssl.truststore.type", "PEM");
            p.put("ssl.truststore.location", config.sslCaFile());
        }
        if (config.securityProtocol().startsWith("SASL_")) {
            String module = config.saslMechanism().equals("PLAIN") ? "org.apache.kafka.common.security.plain.PlainLoginModule"
                    : "org.apache.kafka.common.security.scram.ScramLoginModule";
            p.put("sasl.mechanism", config.saslMechanism());
            p.put("sasl.jaas.config", module + " required username=" + jaasQuoted(config.saslUsername()) + " password="
                    + jaasQuoted(config.saslPassword().reveal()) + ";");
        }
        return p;
    }

    /** A JAAS option value: double-quoted, with backslashes and quotes escaped. */
    static String jaasQuoted(String value) {
        return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    /** The topic of a tview's events. */
    public String topic(RefreshEvent e) {
        TableName t = TableName.parse(e.tview(), "public");
        return config.topic(t.schema(), t.name(), e.typename());
    }

    /**
     * Sends on the sink's own thread and waits at most {@code kafka.delivery-timeout} (plus a second) for the
     * attempt, wherever inside the client it is held up while the broker is unreachable. An attempt that outlives
     * the wait keeps running; the retry of the same events waits for it rather than sending again beside it, so a
     * key's records never overtake each other.
     */
    @Override
    public List<Refused> deliver(List<RefreshEvent> events, List<Cascade> cascades) throws Exception {
        if (attempt == null) {
            attempt = sender.submit(() -> send(events, cascades));
        }
        long wait = config.deliveryTimeout().toMillis() + 1_000;
        try {
            List<Refused> refused = attempt.get(wait, TimeUnit.MILLISECONDS);
            attempt = null;
            return refused;
        } catch (TimeoutException e) {
            throw new IllegalStateException("Kafka did not acknowledge within " + wait + " ms (the attempt is still waiting)", e);
        } catch (ExecutionException e) {
            attempt = null;
            Throwable cause = e.getCause();
            throw cause instanceof Exception x ? x : new IllegalStateException(cause.getMessage(), cause);
        }
    }

    /** A record sent, and what to name if Kafka refuses it for good. */
    private record Sent(Future<RecordMetadata> ack, String tview, String key, long version) {
    }

    /**
     * One attempt: send everything, then wait for every acknowledgement until the delivery timeout. Records Kafka
     * refuses for good (larger than {@code max.request.size}, a topic name it does not allow) are returned, not retried.
     */
    private List<Refused> send(List<RefreshEvent> events, List<Cascade> cascades) throws Exception {
        if (producer == null) {
            try {
                producer = new KafkaProducer<>(producerProperties(config));
            } catch (org.apache.kafka.common.KafkaException e) {
                throw new PermanentFailure("the Kafka producer cannot be created from the kafka.* settings: " + rootMessage(e)
                        + " (fix them and restart)", e);
            }
        }
        List<Refused> refused = new ArrayList<>();
        try {
            List<Sent> acks = new ArrayList<>(events.size() + cascades.size());
            for (RefreshEvent e : events) {
                String topic = topic(e);
                String invalid = invalidTopic(topic);
                if (invalid != null) {
                    refused.add(new Refused(e.tview(), e.keyText(), e.version(), "topic '" + topic + "' " + invalid
                            + " (set kafka.topic-template to a name Kafka accepts)"));
                    continue;
                }
                acks.add(new Sent(producer.send(new ProducerRecord<>(topic, e.keyText(), e.toJsonString())), e.tview(), e.keyText(),
                        e.version()));
            }
            for (Cascade c : cascades) {
                acks.add(new Sent(producer.send(new ProducerRecord<>(config.cascadeTopic(), Long.toString(c.txid()), c.toJsonString())),
                        "cascade", Long.toString(c.txid()), -1));
            }
            // no flush(): an idempotent producer waiting for a producer id (broker down) does not expire its
            // batches, and flush() would wait for the broker indefinitely; our own deadline bounds the wait
            long deadline = System.nanoTime() + config.deliveryTimeout().toNanos();
            for (Sent s : acks) {
                try {
                    s.ack().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof org.apache.kafka.common.errors.RecordTooLargeException
                            || e.getCause() instanceof org.apache.kafka.common.errors.InvalidTopicException) {
                        refused.add(new Refused(s.tview(), s.key(), s.version(), e.getCause().getMessage()));
                        continue;
                    }
                    throw e;
                }
            }
            return refused;
        } catch (ExecutionException e) {
            discardIfFatal(e.getCause());
            refusesUs(e.getCause());
            throw new IllegalStateException("Kafka did not acknowledge: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException | RuntimeException e) {
            discardIfFatal(e);
            refusesUs(e);
            throw new IllegalStateException("Kafka did not acknowledge within " + config.deliveryTimeout().toSeconds() + " s: "
                    + e.getMessage(), e);
        }
    }

    /**
     * Errors that concern the whole sink and that retrying cannot fix (credentials, ACLs, a broker too old): the sink
     * stops loudly instead of retrying for ever while its slot retains the WAL.
     */
    private static void refusesUs(Throwable e) throws PermanentFailure {
        if (e instanceof org.apache.kafka.common.errors.AuthenticationException
                || e instanceof org.apache.kafka.common.errors.AuthorizationException
                || e instanceof org.apache.kafka.common.errors.UnsupportedVersionException) {
            throw new PermanentFailure("Kafka refuses the daemon: " + rootMessage(e) + " (check kafka.security-protocol, "
                    + "the SASL credentials and the ACLs of the daemon's principal, then restart)", e);
        }
    }

    /** The message of the innermost cause, prefixed by the outer one when they differ (Kafka wraps the reason). */
    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == e || root.getMessage() == null ? String.valueOf(e.getMessage()) : e.getMessage() + ": " + root.getMessage();
    }

    /** Why Kafka would refuse a topic name (its own rule: 1–249 of {@code [a-zA-Z0-9._-]}, not "." or ".."), or null. */
    static String invalidTopic(String topic) {
        if (topic.isEmpty() || topic.length() > 249) {
            return "is " + topic.length() + " characters long (Kafka allows 1 to 249)";
        }
        if (topic.equals(".") || topic.equals("..")) {
            return "is not allowed by Kafka";
        }
        for (int i = 0; i < topic.length(); i++) {
            char ch = topic.charAt(i);
            if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-')) {
                return "contains '" + ch + "' (Kafka allows only letters, digits, '.', '_' and '-')";
            }
        }
        return null;
    }

    /** Errors after which this producer cannot send again (the others are retried with the same producer). */
    private void discardIfFatal(Throwable e) {
        if (e instanceof org.apache.kafka.common.errors.ProducerFencedException
                || e instanceof org.apache.kafka.common.errors.OutOfOrderSequenceException
                || e instanceof org.apache.kafka.common.errors.AuthenticationException
                || e instanceof org.apache.kafka.common.errors.AuthorizationException
                || e instanceof IllegalStateException) {
            closeBounded(producer);
            producer = null;
        }
    }

    /**
     * Closes a producer without waiting more than a few seconds: {@code KafkaProducer.close} joins its
     * network thread without a bound once its timeout passed, which can hang while the broker is unreachable.
     */
    private static void closeBounded(KafkaProducer<String, String> p) {
        if (p == null) {
            return;
        }
        Thread closer = new Thread(() -> p.close(java.time.Duration.ofSeconds(5)), "tviewd-kafka-close");
        closer.setDaemon(true);
        closer.start();
        try {
            closer.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        sender.shutdownNow();
        closeBounded(producer);
        producer = null;
    }
}
