package io.tviewd.config;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;

/** The declaration of every configuration key tviewd accepts. */
public final class ConfigKeys {

    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    private static final Map<String, ConfigKey> KEYS = new LinkedHashMap<>();

    static {
        define("database.url", KeyType.STRING, "",
                v -> ((String) v).isEmpty() || ((String) v).startsWith("jdbc:postgresql://")
                        ? null : "must start with jdbc:postgresql://",
                "JDBC URL of the PostgreSQL database (10 or later, wal_level=logical). Required by `run`; `demo` starts an embedded PostgreSQL when empty.");
        define("database.user", KeyType.STRING, "postgres", nonEmpty(),
                "Database user; needs REPLICATION (or superuser) and rights on the tviews.");
        define("database.password", KeyType.SECRET, Secret.of(""), v -> null,
                "Database password. Masked in logs and errors.");
        define("cdc.slot-name", KeyType.STRING, "tviewd", identifier(),
                "Logical replication slot the daemon streams from (created when missing); the Kafka event stream uses `<slot>_ev_kafka` (so at most 54 characters with events on).");
        define("cdc.publication-name", KeyType.STRING, "tviewd", identifier(),
                "Publication created or altered by the daemon to hold exactly the base tables the tviews read (plus `tviewd.heartbeat`).");
        define("cdc.topic-prefix", KeyType.STRING, "tviewd", identifier(),
                "Debezium logical server name; prefixes internal topic names.");
        define("cdc.poll-interval", KeyType.DURATION, Duration.ofMillis(5), durationBetween(Duration.ofMillis(1), Duration.ofSeconds(5)),
                "How long the CDC engine waits for new changes before polling again: latency vs. idle CPU (measured on 2 cores: 1ms idle freshness p50 6.5 ms at 51% of a core idle, 5ms 9.0 ms at 20%, 10ms 12.9 ms at 14%).");
        define("cdc.heartbeat-interval", KeyType.DURATION, Duration.ofSeconds(10), durationBetween(Duration.ofSeconds(1), Duration.ofHours(1)),
                "Heartbeat period, so an idle database does not retain WAL behind the slot.");
        define("cdc.offset-flush-interval", KeyType.DURATION, Duration.ofMillis(200), durationBetween(Duration.ofMillis(10), Duration.ofMinutes(10)),
                "How often processed offsets are stored (table tviewd.offsets) and confirmed to the slot.");
        define("cdc.max-batch-size", KeyType.INT, 16_384, intBetween(1, 65_536),
                "Maximum changes handed to one refresh batch.");
        define("cdc.max-queue-size", KeyType.INT, 65_536, intBetween(2, 1_048_576),
                "Maximum changes buffered between the WAL reader and the refresher (bounds heap; must exceed cdc.max-batch-size).");
        define("refresh.max-keys-per-statement", KeyType.INT, 10_000, intBetween(1, 1_000_000),
                "Keys recomputed by one refresh statement, and by one refresh transaction: a batch that recomputes more commits in several (the offset moves after the last), so no transaction carries more events than events.max-transaction-events holds in memory.");
        define("refresh.statement-timeout", KeyType.DURATION, Duration.ofSeconds(60), durationBetween(Duration.ofMillis(100), Duration.ofHours(1)),
                "statement_timeout of refresh sessions; a tview whose refresh exceeds it is quarantined and fully refreshed again later.");
        define("refresh.quarantine-retry", KeyType.DURATION, Duration.ofSeconds(30), durationBetween(Duration.ofMillis(100), Duration.ofHours(1)),
                "How often a quarantined tview (its refresh failed, e.g. a broken view) is fully refreshed again until it recovers.");
        define("refresh.unmapped-policy", KeyType.STRING, "error",
                v -> java.util.Set.of("error", "full_refresh", "warn").contains(v) ? null : "must be one of error, full_refresh, warn",
                "Default for base tables whose changes cannot be mapped to tview keys: `error` refuses the tview, `full_refresh` refreshes all of it on such a change, `warn` ignores them.");
        define("refresh.replica-identity", KeyType.STRING, "enforce",
                v -> java.util.Set.of("enforce", "warn").contains(v) ? null : "must be one of enforce, warn",
                "`enforce` refuses a tview whose mapping needs old-image columns that a table's replica identity does not log (deletes and FK moves would be missed); `warn` only logs it.");
        define("refresh.default-mode", KeyType.STRING, "cdc",
                v -> java.util.Set.of("trigger", "scheduled", "cdc", "manual").contains(v) ? null : "must be one of trigger, scheduled, cdc, manual",
                "Initial mode of tviews that declare none (`trigger`, `scheduled`, `cdc`, `manual`); the mode is then kept in tviewd.tview_mode.");
        define("refresh.default-schedule", KeyType.STRING, "1m", v -> {
            try {
                Schedule.parse((String) v);
                return null;
            } catch (IllegalArgumentException e) {
                return e.getMessage();
            }
        }, "Schedule of `scheduled` tviews that declare none: an interval (`30s`, `5m`) or a 5-field cron expression in UTC (`*/5 * * * *`).");
        define("events.enabled", KeyType.BOOLEAN, Boolean.TRUE, v -> null,
                "Emit one refresh event per changed tview row, atomically in the refresh transaction (`pg_logical_emit_message`), and deliver them to the sinks below. Needs PostgreSQL 14 or later.");
        define("events.data", KeyType.BOOLEAN, Boolean.TRUE, v -> null,
                "Include the new document (column `data`) or row in each event; when false events carry keys only, and (unless `events.cascade` is on) the messages in the WAL leave the row out too, which keeps them small.");
        define("events.cascade", KeyType.BOOLEAN, Boolean.FALSE, v -> null,
                "Also publish one FraiseQL cascade per refresh transaction (`{updated:[…], deleted:[…]}`) on event-bus address `<events.event-bus-address>.cascade` and Kafka topic `kafka.cascade-topic`.");
        define("events.max-transaction-events", KeyType.INT, 10_000, intBetween(100, 10_000_000),
                "Events of one transaction held in memory (each with its whole document: 10,000 take about 100 MB of heap) to keep one event per key per transaction; a larger transaction spills to a temporary file (`tviewd-events-<slot>-*.jsonl` in `java.io.tmpdir`, removed after delivery and, after a crash, at the stream's next start) and is delivered uncoalesced (a key may then repeat with the same version).");
        define("events.max-transaction-bytes", KeyType.BYTES, 64L << 20, v -> (Long) v >= (1L << 20) && (Long) v <= (16L << 30) ? null
                        : "must be between 1MB and 16GB",
                "Bytes of event messages of one transaction held in memory (the documents they carry); past this, or past "
                        + "`events.max-transaction-events`, the transaction spills to a temporary file, as above.");
        define("events.sse-max-clients", KeyType.INT, 100, intBetween(1, 100_000),
                "SSE connections served at once; one more is answered 503 naming this key.");
        define("events.sse-retention", KeyType.INT, 10_000, intBetween(0, 1_000_000),
                "Events kept in memory for SSE clients that resume with `Last-Event-ID` (the retention window, in events).");
        define("events.sse-client-buffer", KeyType.INT, 1_000, intBetween(1, 1_000_000),
                "Events queued for one SSE client before it is disconnected as too slow (it can resume with `Last-Event-ID`).");
        define("events.event-bus-address", KeyType.STRING, "tviewd.events", nonEmpty(),
                "Vert.x event-bus address where every event is published for in-process consumers.");
        define("kafka.bootstrap-servers", KeyType.STRING, "", ConfigKeys::bootstrapServers,
                "Kafka bootstrap servers (`host:port,…`); empty disables the Kafka sink.");
        define("kafka.topic-template", KeyType.STRING, "tviewd.{schema}.{table}",
                v -> ((String) v).matches("[A-Za-z0-9._{}-]+") && !((String) v).replaceAll("\\{(schema|table|typename)}", "").contains("{")
                        ? null : "must be a topic name using only letters, digits, '.', '_', '-' and the placeholders {schema}, {table}, {typename}",
                "Topic per tview; placeholders {schema}, {table}, {typename}.");
        define("kafka.cascade-topic", KeyType.STRING, "tviewd.cascade",
                v -> ((String) v).matches("[A-Za-z0-9._-]+") ? null : "must be a topic name (letters, digits, '.', '_', '-')",
                "Topic of cascade records when `events.cascade` is on (record key = refresh transaction id).");
        define("kafka.delivery-timeout", KeyType.DURATION, Duration.ofSeconds(30), durationBetween(Duration.ofSeconds(1), Duration.ofHours(1)),
                "How long one send may take before the sink counts it failed, reports degraded and retries.");
        define("kafka.retry-backoff", KeyType.DURATION, Duration.ofSeconds(1), durationBetween(Duration.ofMillis(10), Duration.ofMinutes(10)),
                "First pause before delivering a batch Kafka did not acknowledge again; doubles (with jitter) up to 30 s while Kafka stays down.");
        define("kafka.security-protocol", KeyType.STRING, "PLAINTEXT",
                v -> java.util.Set.of("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL").contains(v) ? null
                        : "must be one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL (upper case, as Kafka spells them)",
                "How the producer talks to the brokers: `PLAINTEXT`, `SSL` (TLS), `SASL_PLAINTEXT` or `SASL_SSL`.");
        define("kafka.ssl-ca-file", KeyType.STRING, "", readableFile("a PEM file of CA certificates"),
                "PEM file of the CA certificates that sign the brokers' certificates (`SSL`, `SASL_SSL`); empty: the JVM's trust store.");
        define("kafka.sasl-mechanism", KeyType.STRING, "PLAIN",
                v -> java.util.Set.of("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512").contains(v) ? null : "must be one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512",
                "SASL mechanism with `SASL_PLAINTEXT` / `SASL_SSL`: `PLAIN`, `SCRAM-SHA-256` or `SCRAM-SHA-512`.");
        define("kafka.sasl-username", KeyType.STRING, "", v -> null, "SASL user name (required with `SASL_PLAINTEXT` / `SASL_SSL`).");
        define("kafka.sasl-password", KeyType.SECRET, Secret.of(""), v -> null, "SASL password. Masked in logs and errors.");
        define("clickhouse.url", KeyType.STRING, "", ConfigKeys::clickhouseUrl,
                "ClickHouse HTTP interface (`http://host:8123`, `https://…` for TLS); empty disables the ClickHouse sink. Credentials go in `clickhouse.user`/`clickhouse.password`, not in the URL.");
        define("clickhouse.user", KeyType.STRING, "default", nonEmpty(),
                "ClickHouse user (HTTP basic authentication).");
        define("clickhouse.password", KeyType.SECRET, Secret.of(""), v -> null,
                "Password of `clickhouse.user`. Masked in logs and errors.");
        define("clickhouse.database", KeyType.STRING, "default",
                v -> ((String) v).matches("[A-Za-z_][A-Za-z0-9_]{0,62}") ? null : "must be a ClickHouse identifier: a letter or '_', then letters, digits or '_' (at most 63)",
                "Database of the target tables (created when absent).");
        define("clickhouse.timeout", KeyType.DURATION, Duration.ofSeconds(30), durationBetween(Duration.ofSeconds(1), Duration.ofHours(1)),
                "How long one request to ClickHouse may take before it counts as failed (the sink then reports degraded and retries).");
        define("clickhouse.tviews", KeyType.STRING_LIST, List.of(), v -> null,
                "Tviews forwarded besides every `ta_` tview, by name (`tv_post` or `public.tv_post`): a `tv_` tview is forwarded as its key and the document as a String column.");
        define("clickhouse.exclude-tviews", KeyType.STRING_LIST, List.of(), v -> null,
                "`ta_` tviews not forwarded, by name.");
        define("clickhouse.flush-interval", KeyType.DURATION, Duration.ofMillis(200), durationBetween(Duration.ofMillis(1), Duration.ofMinutes(10)),
                "Least time between two inserts: rows committed meanwhile wait in the WAL and go in the next insert (fewer, larger parts).");
        define("clickhouse.max-batch-rows", KeyType.INT, 50_000, intBetween(1, 10_000_000),
                "Most rows in one insert.");
        define("clickhouse.auto-add-columns", KeyType.BOOLEAN, Boolean.FALSE, v -> null,
                "Add a column the tview has and its ClickHouse table lacks (`ALTER TABLE … ADD COLUMN`); when false the sink stops and names the statement to run.");
        define("clickhouse.retry-backoff", KeyType.DURATION, Duration.ofSeconds(1), durationBetween(Duration.ofMillis(10), Duration.ofMinutes(10)),
                "First pause before an insert ClickHouse did not acknowledge is tried again; doubles up to 30 s while it stays down.");
        define("http.host", KeyType.STRING, "127.0.0.1",
                v -> ((String) v).matches("[A-Za-z0-9.:%\\-]+") ? null : "must be an IP address or a host name (letters, digits, '.', '-', ':')",
                "Address the HTTP endpoints listen on.");
        define("http.port", KeyType.INT, 8080, intBetween(0, 65_535),
                "Port of the HTTP endpoints (0 picks a free port, printed at start).");
        define("http.token", KeyType.SECRET, Secret.of(""), v -> null,
                "Bearer token. When set, every endpoint but `/health/live` and `/health/ready` requires it (`/metrics` too unless `http.metrics-public`); while it is empty the mutating endpoints (verify, refresh, cutover) are off. Masked in logs and errors.");
        define("http.metrics-public", KeyType.BOOLEAN, Boolean.FALSE, v -> null,
                "Serve `/metrics` without the token even when `http.token` is set (for a scraper that cannot send one).");
        define("http.allowed-hosts", KeyType.STRING_LIST, List.of(), v -> null,
                "Host names requests may carry in their `Host` header (others get 421). Empty: on a loopback `http.host` only `localhost`, `127.0.0.1` and `[::1]` (defeats DNS rebinding), elsewhere any.");
        define("http.tls-cert-file", KeyType.STRING, "", readableFile("a PEM file"),
                "PEM certificate chain of the HTTP server; with `http.tls-key-file` the endpoints are served over HTTPS only.");
        define("http.tls-key-file", KeyType.STRING, "", readableFile("a PEM file"),
                "PEM private key (PKCS#8 or PKCS#1, unencrypted) of `http.tls-cert-file`.");
        define("discovery.schemas", KeyType.STRING_LIST, List.of("public"),
                v -> ((List<?>) v).isEmpty() ? "must name at least one schema"
                        : ((List<?>) v).stream().map(Object::toString).filter(n -> n.isBlank()
                                || n.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 63).findFirst()
                                .map(n -> "schema name '" + n + "' must be 1 to 63 bytes long").orElse(null),
                "Schemas searched for `tv_x`/`v_x` and `ta_x`/`va_x` pairs.");
        define("discovery.convention", KeyType.BOOLEAN, Boolean.TRUE, v -> null,
                "Discover tviews by naming convention; when false only `tviews` entries are maintained.");
        define("discovery.owners", KeyType.STRING_LIST, List.of(), v -> null,
                "Roles whose `tv_`/`v_` pairs discovery adopts: the table and its view must both be owned by one of them, since their view and triggers run with the daemon's rights. Empty: the daemon's role and the database owner. Declared `tviews` are adopted whoever owns them.");
        define("discovery.schema-poll-interval", KeyType.DURATION, Duration.ofSeconds(2), durationBetween(Duration.ofMillis(100), Duration.ofHours(1)),
                "How often the running daemon checks the catalog for DDL (views redefined, tables altered or dropped, new pairs, replica identity); a change re-plans and reconciles the tviews it affects.");
        define("tviews", KeyType.RECORD_LIST, List.of(), v -> null,
                "Declared tviews or settings for discovered ones: list of {table, source-view, key, mode, schedule, unmapped, typename, mappings: [{table, column, sql}]}.");
    }

    private ConfigKeys() {
    }

    private static void define(String name, KeyType type, Object def, Function<Object, String> check, String doc) {
        KEYS.put(name, new ConfigKey(name, type, def, check, doc));
    }

    /** All declared keys, in declaration (= documentation) order. */
    public static Map<String, ConfigKey> all() {
        return java.util.Collections.unmodifiableMap(KEYS);
    }

    /** Empty (Kafka off), or a comma-separated list of {@code host:port} with a port from 1 to 65535. */
    static String bootstrapServers(Object v) {
        String text = ((String) v).trim();
        if (text.isEmpty()) {
            return null;
        }
        for (String part : text.split(",")) {
            String p = part.trim();
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\[[0-9a-fA-F:.]+]|[A-Za-z0-9.\\-_]+):(\\d{1,5})").matcher(p);
            if (!m.matches() || Integer.parseInt(m.group(2)) < 1 || Integer.parseInt(m.group(2)) > 65_535) {
                return "'" + p + "' is not host:port (a port from 1 to 65535), e.g. kafka-1:9092,kafka-2:9092";
            }
        }
        return null;
    }

    /** Empty, or a regular file the daemon can read ({@code what}: how the rule names it, e.g. "a PEM file"). */
    private static Function<Object, String> readableFile(String what) {
        return v -> {
            String f = (String) v;
            if (f.isEmpty()) {
                return null;
            }
            java.nio.file.Path path = java.nio.file.Path.of(f);
            return !java.nio.file.Files.isRegularFile(path) ? "must be " + what + " that exists (no file at that path)"
                    : !java.nio.file.Files.isReadable(path) ? "must be " + what + " the daemon can read (permission denied)" : null;
        };
    }

    private static String clickhouseUrl(Object v) {
        String url = (String) v;
        if (url.isBlank()) {
            return null;
        }
        try {
            java.net.URI u = new java.net.URI(url);
            if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme())) {
                return "must start with http:// or https://, e.g. http://clickhouse:8123";
            }
            if (u.getHost() == null) {
                return "names no host, e.g. http://clickhouse:8123";
            }
            if (u.getRawUserInfo() != null) {
                return "must not carry credentials: set clickhouse.user and clickhouse.password";
            }
            if (u.getRawQuery() != null || (u.getRawPath() != null && !u.getRawPath().isEmpty() && !"/".equals(u.getRawPath()))) {
                return "must be only scheme, host and port, e.g. http://clickhouse:8123 (the database is clickhouse.database)";
            }
            return null;
        } catch (java.net.URISyntaxException e) {
            return "is not a URL (" + e.getReason() + "), e.g. http://clickhouse:8123";
        }
    }

    private static Function<Object, String> nonEmpty() {
        return v -> ((String) v).isBlank() ? "must not be empty" : null;
    }

    private static Function<Object, String> identifier() {
        return v -> IDENTIFIER.matcher((String) v).matches()
                ? null : "must be a lower-case PostgreSQL identifier ([a-z_][a-z0-9_]*, at most 63 characters)";
    }

    private static Function<Object, String> intBetween(int min, int max) {
        return v -> {
            int i = (Integer) v;
            return i < min || i > max ? "must be between " + min + " and " + max : null;
        };
    }

    private static Function<Object, String> durationBetween(Duration min, Duration max) {
        return v -> {
            Duration d = (Duration) v;
            return d.compareTo(min) < 0 || d.compareTo(max) > 0
                    ? "must be between " + format(min) + " and " + format(max) : null;
        };
    }

    static String format(Duration d) {
        if (d.toMillis() < 1000) {
            return d.toMillis() + "ms";
        }
        if (d.toSeconds() < 60 || d.toSeconds() % 60 != 0) {
            return d.toSeconds() + "s";
        }
        if (d.toMinutes() < 60 || d.toMinutes() % 60 != 0) {
            return d.toMinutes() + "m";
        }
        return d.toHours() + "h";
    }
}
