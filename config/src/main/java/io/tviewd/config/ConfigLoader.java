package io.tviewd.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Loads {@link TviewdConfig} from one YAML file plus {@code TVIEWD_*} environment overrides.
 * Every problem (unknown key, bad value, broken rule) is collected and reported together in one
 * {@link ConfigException}; secrets are masked in every message.
 */
public final class ConfigLoader {

    /** Environment variables with the prefix that are not configuration keys but are allowed. */
    private static final Set<String> RESERVED_ENV = Set.of("TVIEWD_JAVA_OPTS", "TVIEWD_LOG_LEVEL", "TVIEWD_BENCH_DAEMON_JAVA_OPTS");
    private static final Set<String> TVIEW_FIELDS = Set.of("table", "source-view", "key", "unmapped", "mappings", "mode", "schedule", "typename");
    private static final Set<String> MAPPING_FIELDS = Set.of("table", "column", "sql");
    private static final Pattern QUALIFIED_NAME = Pattern.compile("([a-z_][a-z0-9_]*\\.)?[a-z_][a-z0-9_]*");

    private ConfigLoader() {
    }

    /**
     * Loads the file (or only defaults when {@code file} is null) and applies overrides from {@code env}.
     *
     * @throws ConfigException listing every problem found
     */
    public static TviewdConfig load(Path file, Map<String, String> env) {
        Map<String, Object> tree = Map.of();
        String origin = "defaults";
        if (file != null) {
            origin = file.toString();
            try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                tree = parseYaml(reader, origin);
            } catch (NoSuchFileException e) {
                throw new ConfigException(List.of("Config file '" + file + "' does not exist"));
            } catch (IOException e) {
                throw new ConfigException(List.of("Config file '" + file + "' cannot be read: " + e.getMessage()));
            }
        }
        return load(tree, origin, env);
    }

    /** Loads from YAML text (used by tests and by callers that already hold the text). */
    public static TviewdConfig loadYaml(String yaml, Map<String, String> env) {
        return load(parseYaml(new java.io.StringReader(yaml), "<yaml>"), "<yaml>", env);
    }

    private static Map<String, Object> parseYaml(Reader reader, String origin) {
        try {
            LoaderOptions options = new LoaderOptions();
            // a key given twice is a mistake: which one was meant cannot be guessed
            options.setAllowDuplicateKeys(false);
            Object root = new Yaml(new SafeConstructor(options)).load(reader);
            if (root == null) {
                return Map.of();
            }
            if (!(root instanceof Map<?, ?> map)) {
                throw new ConfigException(List.of("Config file '" + origin + "' must be a YAML mapping of keys to values"));
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) map;
            return m;
        } catch (YAMLException e) {
            throw new ConfigException(List.of("Config file '" + origin + "' is not valid YAML: " + e.getMessage()));
        }
    }

    static TviewdConfig load(Map<String, Object> tree, String origin, Map<String, String> env) {
        List<String> problems = new ArrayList<>();
        Map<String, Object> raw = new LinkedHashMap<>();
        Map<String, String> sourceOf = new LinkedHashMap<>();
        flatten("", tree, raw, sourceOf, origin, problems);

        for (Map.Entry<String, String> e : env.entrySet()) {
            String name = e.getKey();
            if (!name.startsWith("TVIEWD_") || RESERVED_ENV.contains(name)) {
                continue;
            }
            ConfigKey key = ConfigKeys.all().values().stream()
                    .filter(k -> k.envName().equals(name)).findFirst().orElse(null);
            if (key == null || key.type() == KeyType.RECORD_LIST) {
                problems.add("Unknown environment variable '" + name + "': no scalar configuration key maps to it"
                        + suggestion(name.substring("TVIEWD_".length()).toLowerCase().replace('_', '.')));
                continue;
            }
            raw.put(key.name(), e.getValue());
            sourceOf.put(key.name(), "environment variable " + name);
        }

        Map<String, Object> values = new LinkedHashMap<>();
        for (ConfigKey key : ConfigKeys.all().values()) {
            Object value = key.defaultValue();
            if (raw.containsKey(key.name())) {
                Object r = raw.get(key.name());
                String shown = key.secret() ? Secret.MASK
                        : "database.url".equals(key.name()) ? DatabaseConfig.redact(String.valueOf(r)) : String.valueOf(r);
                String from = " (from " + sourceOf.get(key.name()) + ")";
                if (r == null) {
                    problems.add("Missing value for '" + key.name() + "'" + from + ": expected " + key.type().rule());
                    continue;
                }
                try {
                    value = key.type().parse(r);
                } catch (IllegalArgumentException ex) {
                    problems.add("Invalid value '" + shown + "' for '" + key.name() + "'" + from
                            + ": " + (ex.getMessage() != null ? ex.getMessage() : "expected " + key.type().rule()));
                    continue;
                }
                String broken = key.check().apply(value);
                if (broken != null) {
                    problems.add("Invalid value '" + shown + "' for '" + key.name() + "'" + from + ": " + broken);
                    continue;
                }
            }
            values.put(key.name(), value);
        }

        List<TviewDeclaration> tviews = parseTviews(values.get("tviews"), problems);
        if (values.get("cdc.max-queue-size") instanceof Integer q && values.get("cdc.max-batch-size") instanceof Integer b
                && q <= b) {
            problems.add("Invalid value '" + q + "' for 'cdc.max-queue-size': must be greater than cdc.max-batch-size (" + b + ")");
        }
        boolean clickhouse = values.get("clickhouse.url") instanceof String u && !u.isBlank();
        if (clickhouse && !Boolean.TRUE.equals(values.get("events.enabled"))) {
            problems.add("Invalid value 'false' for 'events.enabled': the ClickHouse sink (clickhouse.url is set) is fed by the refresh "
                    + "events; turn events on or clear clickhouse.url");
        } else if (clickhouse && !Boolean.TRUE.equals(values.get("events.data"))) {
            problems.add("Invalid value 'false' for 'events.data': the ClickHouse sink (clickhouse.url is set) forwards the rows the "
                    + "events carry; turn events.data on or clear clickhouse.url");
        }
        if (clickhouse && values.get("cdc.slot-name") instanceof String slot && slot.length() > 49) {
            problems.add("Invalid value '" + slot + "' for 'cdc.slot-name': at most 49 characters while clickhouse.url is set "
                    + "(the ClickHouse event slot is named <slot>_ev_clickhouse)");
        }
        if (Boolean.TRUE.equals(values.get("events.enabled"))) {
            // event streams name their slots <slot>_ev_kafka and their publication <publication>_events (63 bytes at most)
            if (!clickhouse && values.get("cdc.slot-name") instanceof String slot && slot.length() > 54) {
                problems.add("Invalid value '" + slot + "' for 'cdc.slot-name': at most 54 characters while events.enabled is true "
                        + "(the Kafka event slot is named <slot>_ev_kafka)");
            }
            if (values.get("cdc.publication-name") instanceof String pub && pub.length() > 56) {
                problems.add("Invalid value '" + pub + "' for 'cdc.publication-name': at most 56 characters while events.enabled is true "
                        + "(the event publication is named <publication>_events)");
            }
        }
        if (values.get("http.tls-cert-file") instanceof String cert && values.get("http.tls-key-file") instanceof String key
                && cert.isEmpty() != key.isEmpty()) {
            problems.add(cert.isEmpty()
                    ? "Invalid value '' for 'http.tls-cert-file': required with http.tls-key-file (" + key + "); set both or neither"
                    : "Invalid value '' for 'http.tls-key-file': required with http.tls-cert-file (" + cert + "); set both or neither");
        }
        if (values.get("kafka.security-protocol") instanceof String protocol) {
            boolean sasl = protocol.startsWith("SASL_");
            if (sasl && values.get("kafka.sasl-username") instanceof String user && user.isBlank()) {
                problems.add("Invalid value '' for 'kafka.sasl-username': required when kafka.security-protocol is " + protocol);
            }
            if (sasl && values.get("kafka.sasl-password") instanceof Secret password && password.reveal().isEmpty()) {
                problems.add("Invalid value '' for 'kafka.sasl-password': required when kafka.security-protocol is " + protocol);
            }
            if (!protocol.endsWith("SSL") && values.get("kafka.ssl-ca-file") instanceof String ca && !ca.isEmpty()) {
                problems.add("Invalid value '" + ca + "' for 'kafka.ssl-ca-file': only used with kafka.security-protocol SSL or SASL_SSL, "
                        + "but it is " + protocol + " (the brokers would be reached without TLS)");
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new TviewdConfig(
                new DatabaseConfig((String) values.get("database.url"), (String) values.get("database.user"),
                        (Secret) values.get("database.password")),
                new CdcConfig((String) values.get("cdc.slot-name"), (String) values.get("cdc.publication-name"),
                        (String) values.get("cdc.topic-prefix"),
                        (Duration) values.get("cdc.poll-interval"), (Duration) values.get("cdc.heartbeat-interval"),
                        (Duration) values.get("cdc.offset-flush-interval"),
                        (Integer) values.get("cdc.max-batch-size"), (Integer) values.get("cdc.max-queue-size")),
                new RefreshConfig((Integer) values.get("refresh.max-keys-per-statement"),
                        (Duration) values.get("refresh.statement-timeout"), (Duration) values.get("refresh.quarantine-retry"),
                        UnmappedPolicy.parse((String) values.get("refresh.unmapped-policy")),
                        "enforce".equals(values.get("refresh.replica-identity")),
                        RefreshMode.parse((String) values.get("refresh.default-mode")), Schedule.parse((String) values.get("refresh.default-schedule")),
                        (Boolean) values.get("events.enabled"),
                        (Boolean) values.get("events.enabled") && ((Boolean) values.get("events.data") || (Boolean) values.get("events.cascade"))),
                new HttpConfig((String) values.get("http.host"), (Integer) values.get("http.port"),
                        (Secret) values.get("http.token"), (Boolean) values.get("http.metrics-public"),
                        castList(values.get("http.allowed-hosts")), (String) values.get("http.tls-cert-file"),
                        (String) values.get("http.tls-key-file")),
                new DiscoveryConfig(castList(values.get("discovery.schemas")), (Boolean) values.get("discovery.convention"),
                        (Duration) values.get("discovery.schema-poll-interval"), castList(values.get("discovery.owners"))),
                new EventsConfig((Boolean) values.get("events.enabled"), (Boolean) values.get("events.data"),
                        (Boolean) values.get("events.cascade"), (Integer) values.get("events.max-transaction-events"),
                        (Long) values.get("events.max-transaction-bytes"), (Integer) values.get("events.sse-retention"),
                        (Integer) values.get("events.sse-client-buffer"), (Integer) values.get("events.sse-max-clients"),
                        (String) values.get("events.event-bus-address")),
                new KafkaConfig((String) values.get("kafka.bootstrap-servers"), (String) values.get("kafka.topic-template"),
                        (String) values.get("kafka.cascade-topic"), (Duration) values.get("kafka.delivery-timeout"),
                        (Duration) values.get("kafka.retry-backoff"), (String) values.get("kafka.security-protocol"),
                        (String) values.get("kafka.ssl-ca-file"), (String) values.get("kafka.sasl-mechanism"),
                        (String) values.get("kafka.sasl-username"), (Secret) values.get("kafka.sasl-password")),
                new ClickHouseConfig((String) values.get("clickhouse.url"), (String) values.get("clickhouse.user"),
                        (Secret) values.get("clickhouse.password"), (String) values.get("clickhouse.database"),
                        (Duration) values.get("clickhouse.timeout"), castList(values.get("clickhouse.tviews")),
                        castList(values.get("clickhouse.exclude-tviews")), (Duration) values.get("clickhouse.flush-interval"),
                        (Integer) values.get("clickhouse.max-batch-rows"), (Boolean) values.get("clickhouse.auto-add-columns"),
                        (Duration) values.get("clickhouse.retry-backoff")),
                tviews);
    }

    @SuppressWarnings("unchecked")
    private static List<String> castList(Object o) {
        return (List<String>) o;
    }

    private static void flatten(String prefix, Map<?, ?> node, Map<String, Object> out, Map<String, String> sourceOf,
                                String origin, List<String> problems) {
        for (Map.Entry<?, ?> e : node.entrySet()) {
            String path = prefix + e.getKey();
            Object value = e.getValue();
            if (ConfigKeys.all().containsKey(path)) {
                out.put(path, value);
                sourceOf.put(path, origin);
            } else if (value instanceof Map<?, ?> child && isPrefix(path + ".")) {
                flatten(path + ".", child, out, sourceOf, origin, problems);
            } else {
                problems.add("Unknown key '" + path + "' in " + origin + ": not a tviewd setting" + suggestion(path));
            }
        }
    }

    private static boolean isPrefix(String p) {
        return ConfigKeys.all().keySet().stream().anyMatch(k -> k.startsWith(p));
    }

    private static List<TviewDeclaration> parseTviews(Object value, List<String> problems) {
        List<TviewDeclaration> out = new ArrayList<>();
        if (!(value instanceof List<?> list)) {
            return out;
        }
        for (int i = 0; i < list.size(); i++) {
            String at = "tviews[" + i + "]";
            if (!(list.get(i) instanceof Map<?, ?> entry)) {
                problems.add("Invalid value '" + list.get(i) + "' for '" + at
                        + "': expected a mapping with keys table, source-view, key, mode, schedule, unmapped, typename, mappings");
                continue;
            }
            unknownFields(entry, TVIEW_FIELDS, at, problems);
            String table = name(entry, "table", at, true, problems);
            String view = name(entry, "source-view", at, false, problems);
            String key = name(entry, "key", at, false, problems);
            UnmappedPolicy policy = null;
            if (entry.get("unmapped") != null) {
                try {
                    policy = UnmappedPolicy.parse(entry.get("unmapped").toString());
                } catch (IllegalArgumentException e) {
                    problems.add("Invalid value '" + entry.get("unmapped") + "' for '" + at
                            + ".unmapped': must be one of error, full_refresh, warn");
                }
            }
            List<MappingDeclaration> mappings = parseMappings(entry.get("mappings"), at + ".mappings", problems);
            RefreshMode mode = null;
            if (entry.get("mode") != null) {
                try {
                    mode = RefreshMode.parse(entry.get("mode").toString());
                } catch (IllegalArgumentException e) {
                    problems.add("Invalid value '" + entry.get("mode") + "' for '" + at + ".mode': must be one of trigger, scheduled, cdc, manual");
                }
            }
            Schedule schedule = null;
            if (entry.get("schedule") != null) {
                try {
                    schedule = Schedule.parse(entry.get("schedule").toString());
                } catch (IllegalArgumentException e) {
                    problems.add("Invalid value '" + entry.get("schedule") + "' for '" + at + ".schedule': " + e.getMessage());
                }
            }
            String typename = null;
            if (entry.get("typename") != null) {
                typename = entry.get("typename").toString();
                if (!typename.matches("[_A-Za-z][_0-9A-Za-z]*")) {
                    problems.add("Invalid value '" + typename + "' for '" + at + ".typename': must be a GraphQL type name ([_A-Za-z][_0-9A-Za-z]*)");
                    typename = null;
                }
            }
            if (table != null) {
                out.add(new TviewDeclaration(table, Optional.ofNullable(view), Optional.ofNullable(key),
                        Optional.ofNullable(policy), mappings, Optional.ofNullable(mode), Optional.ofNullable(schedule),
                        Optional.ofNullable(typename)));
            }
        }
        return out;
    }

    private static List<MappingDeclaration> parseMappings(Object value, String at, List<String> problems) {
        List<MappingDeclaration> out = new ArrayList<>();
        if (value == null) {
            return out;
        }
        if (!(value instanceof List<?> list)) {
            problems.add("Invalid value '" + value + "' for '" + at + "': expected a list of {table, column, sql}");
            return out;
        }
        for (int j = 0; j < list.size(); j++) {
            String mat = at + "[" + j + "]";
            if (!(list.get(j) instanceof Map<?, ?> m)) {
                problems.add("Invalid value '" + list.get(j) + "' for '" + mat + "': expected a mapping with keys table, column, sql");
                continue;
            }
            unknownFields(m, MAPPING_FIELDS, mat, problems);
            String table = name(m, "table", mat, true, problems);
            String column = name(m, "column", mat, true, problems);
            Object sql = m.get("sql");
            if (sql == null || !sql.toString().contains(":values")) {
                problems.add("Invalid value '" + sql + "' for '" + mat + ".sql': expected a query returning tview keys that uses "
                        + ":values for the changed values, e.g. SELECT p.id FROM tb_post p WHERE p.fk_tag = ANY(:values)");
                continue;
            }
            if (table != null && column != null) {
                out.add(new MappingDeclaration(table, column, sql.toString()));
            }
        }
        return out;
    }

    private static void unknownFields(Map<?, ?> entry, Set<String> allowed, String at, List<String> problems) {
        for (Object k : entry.keySet()) {
            if (!allowed.contains(String.valueOf(k))) {
                problems.add("Unknown key '" + at + "." + k + "': expected one of " + String.join(", ", new java.util.TreeSet<>(allowed)));
            }
        }
    }

    private static String name(Map<?, ?> entry, String field, String at, boolean required, List<String> problems) {
        Object v = entry.get(field);
        if (v == null) {
            if (required) {
                problems.add("Missing value for '" + at + "." + field + "': expected a table or view name like public.tv_post");
            }
            return null;
        }
        String s = v.toString().trim();
        if (!QUALIFIED_NAME.matcher(s).matches()) {
            problems.add("Invalid value '" + s + "' for '" + at + "." + field
                    + "': expected a lower-case name, optionally schema-qualified (schema.name)");
            return null;
        }
        return s;
    }

    private static String suggestion(String path) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : ConfigKeys.all().keySet()) {
            int d = distance(path, k);
            if (d < bestDistance) {
                bestDistance = d;
                best = k;
            }
        }
        return best != null && bestDistance <= 3 ? " (did you mean '" + best + "'?)" : "";
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
