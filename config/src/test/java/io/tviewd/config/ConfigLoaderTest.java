package io.tviewd.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    @Test
    void load_noFileNoEnv_givesDocumentedDefaults() {
        TviewdConfig c = ConfigLoader.load(null, Map.of());
        assertThat(c.database().url()).isEmpty();
        assertThat(c.database().user()).isEqualTo("postgres");
        assertThat(c.cdc().slotName()).isEqualTo("tviewd");
        assertThat(c.cdc().publicationName()).isEqualTo("tviewd");
        assertThat(c.cdc().pollInterval()).isEqualTo(Duration.ofMillis(5));
        assertThat(c.cdc().heartbeatInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.cdc().maxBatchSize()).isEqualTo(16_384);
        assertThat(c.http().host()).isEqualTo("127.0.0.1");
        assertThat(c.http().port()).isEqualTo(8080);
        assertThat(c.discovery().schemas()).containsExactly("public");
        assertThat(c.discovery().convention()).isTrue();
        assertThat(c.tviews()).isEmpty();
    }

    @Test
    void loadYaml_nestedKeysAndTypes_areParsed() {
        TviewdConfig c = ConfigLoader.loadYaml("""
                database:
                  url: jdbc:postgresql://db:5432/app
                  user: app
                  password: s3cret
                cdc:
                  slot-name: app_slot
                  poll-interval: 25ms
                  heartbeat-interval: PT30S
                  max-batch-size: 500
                http:
                  port: 9090
                discovery:
                  schemas: [public, blog]
                tviews:
                  - table: blog.tv_article
                    source-view: blog.v_article
                    key: pk_article
                """, Map.of());
        assertThat(c.database().url()).isEqualTo("jdbc:postgresql://db:5432/app");
        assertThat(c.database().password().reveal()).isEqualTo("s3cret");
        assertThat(c.cdc().slotName()).isEqualTo("app_slot");
        assertThat(c.cdc().pollInterval()).isEqualTo(Duration.ofMillis(25));
        assertThat(c.cdc().heartbeatInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.cdc().maxBatchSize()).isEqualTo(500);
        assertThat(c.http().port()).isEqualTo(9090);
        assertThat(c.discovery().schemas()).containsExactly("public", "blog");
        assertThat(c.tviews()).hasSize(1);
        assertThat(c.tviews().get(0).table()).isEqualTo("blog.tv_article");
        assertThat(c.tviews().get(0).key()).contains("pk_article");
        assertThat(c.tviews().get(0).sourceView()).contains("blog.v_article");
    }

    @Test
    void load_envVariable_overridesFileValue(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tviewd.yaml");
        Files.writeString(file, "database:\n  url: jdbc:postgresql://file/db\nhttp:\n  port: 9000\n");
        TviewdConfig c = ConfigLoader.load(file, Map.of(
                "TVIEWD_DATABASE_URL", "jdbc:postgresql://env/db",
                "TVIEWD_CDC_POLL_INTERVAL", "50ms",
                "TVIEWD_DISCOVERY_SCHEMAS", "a, b",
                "PATH", "/usr/bin"));
        assertThat(c.database().url()).isEqualTo("jdbc:postgresql://env/db");
        assertThat(c.http().port()).isEqualTo(9000);
        assertThat(c.cdc().pollInterval()).isEqualTo(Duration.ofMillis(50));
        assertThat(c.discovery().schemas()).containsExactly("a", "b");
    }

    @Test
    void parse_unknownKey_isRejectedWithKeyNameAndSuggestion() {
        assertThatThrownBy(() -> ConfigLoader.loadYaml("cdc:\n  pol-interval: 10ms\n", Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessage("Invalid configuration (1 problem):\n"
                        + "  - Unknown key 'cdc.pol-interval' in <yaml>: not a tviewd setting (did you mean 'cdc.poll-interval'?)");
    }

    @Test
    void parse_launcherAndBenchEnvironmentVariables_areNotSettings_andAllowed() throws Exception {
        assertThat(ConfigLoader.load(null, Map.of("TVIEWD_JAVA_OPTS", "-Xmx1g", "TVIEWD_LOG_LEVEL", "DEBUG",
                "TVIEWD_BENCH_DAEMON_JAVA_OPTS", "-XX:TieredStopAtLevel=1")).http().port()).isEqualTo(ConfigLoader.load(null, Map.of()).http().port());
    }

    @Test
    void parse_unknownEnvironmentVariable_isRejected() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("TVIEWD_HTTP_PROT", "1")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("Unknown environment variable 'TVIEWD_HTTP_PROT': no scalar configuration key maps to it"
                        + " (did you mean 'http.port'?)");
    }

    @Test
    void parse_badValues_areAllReportedTogetherWithKeyValueAndRule() {
        ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class, () -> ConfigLoader.loadYaml("""
                database:
                  url: mysql://nope
                cdc:
                  poll-interval: abc
                  max-batch-size: 0
                  slot-name: Bad-Slot
                http:
                  port: 70000
                """, Map.of("TVIEWD_CDC_HEARTBEAT_INTERVAL", "0ms")));
        assertThat(e.problems()).containsExactly(
                "Invalid value 'mysql://nope' for 'database.url' (from <yaml>): must start with jdbc:postgresql://",
                "Invalid value 'Bad-Slot' for 'cdc.slot-name' (from <yaml>): must be a lower-case PostgreSQL identifier ([a-z_][a-z0-9_]*, at most 63 characters)",
                "Invalid value 'abc' for 'cdc.poll-interval' (from <yaml>): expected a duration like 10ms, 5s, 2m or PT0.01S",
                "Invalid value '0ms' for 'cdc.heartbeat-interval' (from environment variable TVIEWD_CDC_HEARTBEAT_INTERVAL): must be between 1s and 1h",
                "Invalid value '0' for 'cdc.max-batch-size' (from <yaml>): must be between 1 and 65536",
                "Invalid value '70000' for 'http.port' (from <yaml>): must be between 0 and 65535");
        assertThat(e.getMessage()).startsWith("Invalid configuration (6 problems):\n  - Invalid value 'mysql://nope'");
    }

    @Test
    void parse_gapsThatUsedToSlipThrough_areReportedWithKeyValueAndRule() {
        ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class, () -> ConfigLoader.loadYaml("""
                refresh:
                  statement-timeout: 99999999999999999d
                kafka:
                  bootstrap-servers: kafka-1:9092,kafka-2
                http:
                  host: "local host"
                discovery:
                  schemas: [public, "%s"]
                """.formatted("s".repeat(64)), Map.of()));
        assertThat(e.problems()).containsExactly(
                "Invalid value '99999999999999999d' for 'refresh.statement-timeout' (from <yaml>): is too large for a duration",
                "Invalid value 'kafka-1:9092,kafka-2' for 'kafka.bootstrap-servers' (from <yaml>): 'kafka-2' is not host:port "
                        + "(a port from 1 to 65535), e.g. kafka-1:9092,kafka-2:9092",
                "Invalid value 'local host' for 'http.host' (from <yaml>): must be an IP address or a host name (letters, digits, '.', '-', ':')",
                "Invalid value '[public, " + "s".repeat(64) + "]' for 'discovery.schemas' (from <yaml>): schema name '" + "s".repeat(64)
                        + "' must be 1 to 63 bytes long");
    }

    @Test
    void parse_aKeyGivenTwice_isRejected() {
        assertThatThrownBy(() -> ConfigLoader.loadYaml("http:\n  port: 8080\n  port: 9090\n", Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("is not valid YAML").hasMessageContaining("duplicate key port");
    }

    @Test
    void parse_valueOutOfRange_isRejectedNotClamped() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("TVIEWD_CDC_POLL_INTERVAL", "10s")))
                .hasMessageContaining("Invalid value '10s' for 'cdc.poll-interval' (from environment variable TVIEWD_CDC_POLL_INTERVAL): "
                        + "must be between 1ms and 5s");
    }

    @Test
    void parse_queueNotLargerThanBatch_isRejected() {
        assertThatThrownBy(() -> ConfigLoader.loadYaml("cdc:\n  max-batch-size: 100\n  max-queue-size: 100\n", Map.of()))
                .hasMessageContaining("Invalid value '100' for 'cdc.max-queue-size': must be greater than cdc.max-batch-size (100)");
    }

    @Test
    void parse_secretValues_neverAppearInErrorsOrToString() {
        ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class, () ->
                ConfigLoader.loadYaml("database:\n  password: [hunter2]\nhttp:\n  token: {a: hunter2}\n", Map.of()));
        assertThat(e.getMessage()).doesNotContain("hunter2")
                .contains("Invalid value '****' for 'database.password'")
                .contains("Invalid value '****' for 'http.token'");
        TviewdConfig c = ConfigLoader.load(null, Map.of("TVIEWD_DATABASE_PASSWORD", "hunter2", "TVIEWD_HTTP_TOKEN", "tok3n"));
        assertThat(c.toString()).doesNotContain("hunter2").doesNotContain("tok3n").contains("password=****");
        assertThat(c.database().password().reveal()).isEqualTo("hunter2");
    }

    @Test
    void parse_tviewDeclarations_areValidated() {
        ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class, () -> ConfigLoader.loadYaml("""
                tviews:
                  - table: tv_ok
                    source-view: v_ok
                  - source-view: v_missing_table
                  - table: "TV Bad"
                    source-view: v_x
                    colour: red
                  - just-a-string
                """, Map.of()));
        assertThat(e.problems()).containsExactly(
                "Missing value for 'tviews[1].table': expected a table or view name like public.tv_post",
                "Unknown key 'tviews[2].colour': expected one of key, mappings, mode, schedule, source-view, table, typename, unmapped",
                "Invalid value 'TV Bad' for 'tviews[2].table': expected a lower-case name, optionally schema-qualified (schema.name)",
                "Invalid value 'just-a-string' for 'tviews[3]': expected a mapping with keys table, source-view, key, mode, schedule, unmapped, typename, mappings");
    }

    @Test
    void parse_tviewPoliciesAndExplicitMappings() {
        TviewdConfig c = ConfigLoader.loadYaml("""
                refresh:
                  unmapped-policy: warn
                  replica-identity: warn
                tviews:
                  - table: tv_post
                    unmapped: full_refresh
                    mappings:
                      - table: tb_tag
                        column: pk_tag
                        sql: SELECT p.id FROM tb_post p JOIN tb_post_tag pt USING (pk_post) WHERE pt.fk_tag = ANY(:values)
                """, Map.of());
        assertThat(c.refresh().unmappedPolicy()).isEqualTo(UnmappedPolicy.WARN);
        assertThat(c.refresh().enforceReplicaIdentity()).isFalse();
        TviewDeclaration d = c.tviews().get(0);
        assertThat(d.sourceView()).isEmpty();
        assertThat(d.unmapped()).contains(UnmappedPolicy.FULL_REFRESH);
        assertThat(d.mappings()).containsExactly(new MappingDeclaration("tb_tag", "pk_tag",
                "SELECT p.id FROM tb_post p JOIN tb_post_tag pt USING (pk_post) WHERE pt.fk_tag = ANY(:values)"));
        assertThat(ConfigLoader.load(null, Map.of()).refresh().unmappedPolicy()).isEqualTo(UnmappedPolicy.ERROR);
        assertThat(ConfigLoader.load(null, Map.of()).refresh().defaultMode()).isEqualTo(RefreshMode.CDC);
    }

    @Test
    void parse_tviewModes() {
        TviewdConfig c = ConfigLoader.loadYaml("""
                tviews:
                  - table: tv_post
                    mode: trigger
                  - table: tv_user
                    mode: scheduled
                    schedule: 30s
                """, Map.of());
        assertThat(c.tviews().get(0).mode()).contains(RefreshMode.TRIGGER);
        assertThat(c.tviews().get(1).mode()).contains(RefreshMode.SCHEDULED);
        assertThat(c.tviews().get(1).schedule().get().interval()).isEqualTo(java.time.Duration.ofSeconds(30));
        ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class, () -> ConfigLoader.loadYaml("""
                tviews:
                  - table: tv_post
                    mode: sometimes
                    schedule: often
                """, Map.of()));
        assertThat(e.problems()).containsExactly(
                "Invalid value 'sometimes' for 'tviews[0].mode': must be one of trigger, scheduled, cdc, manual",
                "Invalid value 'often' for 'tviews[0].schedule': expected an interval like 30s or 5m, or a cron expression like '*/5 * * * *'");
    }

    @Test
    void parse_badPoliciesAndMappings_areRejected() {
        ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class, () -> ConfigLoader.loadYaml("""
                refresh:
                  unmapped-policy: ignore
                tviews:
                  - table: tv_post
                    unmapped: sometimes
                    mappings:
                      - table: tb_tag
                        column: pk_tag
                        sql: SELECT 1
                """, Map.of()));
        assertThat(e.problems()).containsExactly(
                "Invalid value 'ignore' for 'refresh.unmapped-policy' (from <yaml>): must be one of error, full_refresh, warn",
                "Invalid value 'sometimes' for 'tviews[0].unmapped': must be one of error, full_refresh, warn",
                "Invalid value 'SELECT 1' for 'tviews[0].mappings[0].sql': expected a query returning tview keys that uses :values "
                        + "for the changed values, e.g. SELECT p.id FROM tb_post p WHERE p.fk_tag = ANY(:values)");
    }

    @Test
    void load_missingFile_namesTheFile(@TempDir Path dir) {
        Path missing = dir.resolve("nope.yaml");
        assertThatThrownBy(() -> ConfigLoader.load(missing, Map.of()))
                .hasMessage("Invalid configuration (1 problem):\n  - Config file '" + missing + "' does not exist");
    }

    @Test
    void load_invalidYaml_isReported() {
        assertThatThrownBy(() -> ConfigLoader.loadYaml("database: [unclosed", Map.of()))
                .hasMessageStartingWith("Invalid configuration (1 problem):\n  - Config file '<yaml>' is not valid YAML:");
    }

    @Test
    void durations_commandLineOption_usesSameRules() {
        assertThat(Durations.parse("--duration", "30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(Durations.parse("--duration", "2m")).isEqualTo(Duration.ofMinutes(2));
        assertThatThrownBy(() -> Durations.parse("--duration", "soon"))
                .hasMessageContaining("Invalid value 'soon' for '--duration': expected a duration like 10ms, 5s, 2m or PT0.01S");
        assertThatThrownBy(() -> Durations.parse("--duration", "0s"))
                .hasMessageContaining("Invalid value '0s' for '--duration': must be positive");
    }

    @Test
    void envNames_followTheDocumentedScheme() {
        assertThat(ConfigKeys.all().get("cdc.poll-interval").envName()).isEqualTo("TVIEWD_CDC_POLL_INTERVAL");
        assertThat(ConfigKeys.all().get("database.url").envName()).isEqualTo("TVIEWD_DATABASE_URL");
        assertThat(List.copyOf(ConfigKeys.all().keySet())).doesNotHaveDuplicates();
    }

    @Test
    void eventsAndKafka_areTypedAndValidated() {
        TviewdConfig ok = ConfigLoader.loadYaml("""
                kafka:
                  bootstrap-servers: k1:9092
                  topic-template: "events.{typename}"
                tviews:
                  - table: tv_blog_post
                    typename: Article
                """, Map.of("TVIEWD_EVENTS_DATA", "false"));
        assertThat(ok.kafka().enabled()).isTrue();
        assertThat(ok.kafka().topic("public", "tv_blog_post", "Article")).isEqualTo("events.Article");
        assertThat(ok.events().includeData()).isFalse();
        assertThat(ok.events().enabled()).isTrue();
        assertThat(ok.refresh().emitEvents()).isTrue();
        assertThat(ok.refresh().eventRows()).as("no data and no cascade: messages leave the row out").isFalse();
        assertThat(ConfigLoader.loadYaml("", Map.of("TVIEWD_EVENTS_DATA", "false", "TVIEWD_EVENTS_CASCADE", "true")).refresh().eventRows())
                .as("cascades carry the data").isTrue();
        assertThat(ConfigLoader.loadYaml("", Map.of()).refresh().eventRows()).isTrue();
        assertThat(ConfigLoader.loadYaml("", Map.of("TVIEWD_EVENTS_ENABLED", "false")).refresh()).extracting("emitEvents", "eventRows")
                .containsExactly(false, false);
        assertThat(ok.tviews().get(0).typename()).contains("Article");
        ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class, () -> ConfigLoader.loadYaml("""
                kafka:
                  topic-template: "t.{tview}"
                tviews:
                  - table: tv_x
                    typename: "not a type"
                """, Map.of("TVIEWD_EVENTS_SSE_CLIENT_BUFFER", "0")));
        assertThat(e.problems()).containsExactlyInAnyOrder(
                "Invalid value 't.{tview}' for 'kafka.topic-template' (from <yaml>): must be a topic name using only letters, digits, '.', '_', '-' "
                        + "and the placeholders {schema}, {table}, {typename}",
                "Invalid value '0' for 'events.sse-client-buffer' (from environment variable TVIEWD_EVENTS_SSE_CLIENT_BUFFER): must be between 1 and 1000000",
                "Invalid value 'not a type' for 'tviews[0].typename': must be a GraphQL type name ([_A-Za-z][_0-9A-Za-z]*)");
    }

    @Test
    void longSlotName_withEventsOn_isRejectedNamingTheEventSlots() {
        String slot = "s".repeat(60);
        ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class,
                () -> ConfigLoader.loadYaml("cdc:\n  slot-name: " + slot + "\n", Map.of()));
        assertThat(e.problems()).containsExactly("Invalid value '" + slot + "' for 'cdc.slot-name': at most 54 characters while "
                + "events.enabled is true (the Kafka event slot is named <slot>_ev_kafka)");
        assertThat(ConfigLoader.loadYaml("cdc:\n  slot-name: " + slot + "\n", Map.of("TVIEWD_EVENTS_ENABLED", "false")).cdc().slotName())
                .isEqualTo(slot);
    }

    @Test
    void clickhouse_isOffByDefault_typedWhenSet_andItsRulesNamed() {
        assertThat(ConfigLoader.load(null, Map.of()).clickhouse().enabled()).isFalse();
        ClickHouseConfig ch = ConfigLoader.loadYaml("""
                clickhouse:
                  url: https://ch.internal:8443
                  password: pw
                  database: analytics
                  tviews: [tv_post]
                  flush-interval: 50ms
                  auto-add-columns: true
                """, Map.of()).clickhouse();
        assertThat(ch.enabled()).isTrue();
        assertThat(ch.endpoint().toString()).isEqualTo("https://ch.internal:8443/");
        assertThat(ch.user()).isEqualTo("default");
        assertThat(ch.password().toString()).doesNotContain("pw");
        assertThat(ch.tviews()).containsExactly("tv_post");
        assertThat(ch.flushInterval()).isEqualTo(java.time.Duration.ofMillis(50));
        assertThat(ch.autoAddColumns()).isTrue();

        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("TVIEWD_CLICKHOUSE_URL", "http://u:secret@ch:8123")))
                .hasMessageContaining("for 'clickhouse.url' (from environment variable TVIEWD_CLICKHOUSE_URL): must not carry credentials: "
                        + "set clickhouse.user and clickhouse.password");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("TVIEWD_CLICKHOUSE_URL", "tcp://ch:9000")))
                .hasMessageContaining("Invalid value 'tcp://ch:9000' for 'clickhouse.url' (from environment variable TVIEWD_CLICKHOUSE_URL): "
                        + "must start with http:// or https://");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("TVIEWD_CLICKHOUSE_URL", "http://ch:8123/analytics")))
                .hasMessageContaining("must be only scheme, host and port");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("TVIEWD_CLICKHOUSE_URL", "http://ch:8123", "TVIEWD_EVENTS_ENABLED", "false")))
                .hasMessageContaining("Invalid value 'false' for 'events.enabled': the ClickHouse sink (clickhouse.url is set) is fed by the refresh events");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("TVIEWD_CLICKHOUSE_URL", "http://ch:8123", "TVIEWD_EVENTS_DATA", "false")))
                .hasMessageContaining("Invalid value 'false' for 'events.data'");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("TVIEWD_CLICKHOUSE_URL", "http://ch:8123", "TVIEWD_CDC_SLOT_NAME", "s".repeat(50))))
                .hasMessageContaining("at most 49 characters while clickhouse.url is set (the ClickHouse event slot is named <slot>_ev_clickhouse)");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("TVIEWD_CLICKHOUSE_DATABASE", "my-db")))
                .hasMessageContaining("Invalid value 'my-db' for 'clickhouse.database' (from environment variable TVIEWD_CLICKHOUSE_DATABASE): "
                        + "must be a ClickHouse identifier");
    }

    @Test
    void kafkaTlsAndSasl_typedWhenSet_andTheirRulesNamed() throws Exception {
        KafkaConfig plain = ConfigLoader.load(null, Map.of()).kafka();
        assertThat(plain.securityProtocol()).isEqualTo("PLAINTEXT");
        java.nio.file.Path ca = java.nio.file.Files.createTempFile("tviewd-ca", ".pem");
        try {
            KafkaConfig k = ConfigLoader.loadYaml("kafka:\n  bootstrap-servers: kafka:9093\n  security-protocol: SASL_SSL\n  ssl-ca-file: " + ca
                    + "\n  sasl-mechanism: SCRAM-SHA-512\n  sasl-username: tviewd\n  sasl-password: s3cret\n", Map.of()).kafka();
            assertThat(k.securityProtocol()).isEqualTo("SASL_SSL");
            assertThat(k.sslCaFile()).isEqualTo(ca.toString());
            assertThat(k.saslMechanism()).isEqualTo("SCRAM-SHA-512");
            assertThat(k.toString()).doesNotContain("s3cret");
            assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("TVIEWD_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT", "TVIEWD_KAFKA_SSL_CA_FILE", ca.toString())))
                    .hasMessageContaining("Invalid value '" + ca + "' for 'kafka.ssl-ca-file': only used with kafka.security-protocol SSL or SASL_SSL");
        } finally {
            java.nio.file.Files.delete(ca);
        }
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("TVIEWD_KAFKA_SECURITY_PROTOCOL", "ssl")))
                .hasMessageContaining("Invalid value 'ssl' for 'kafka.security-protocol' (from environment variable TVIEWD_KAFKA_SECURITY_PROTOCOL): "
                        + "must be one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("TVIEWD_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")))
                .hasMessageContaining("Invalid value '' for 'kafka.sasl-username': required when kafka.security-protocol is SASL_PLAINTEXT")
                .hasMessageContaining("Invalid value '' for 'kafka.sasl-password': required when kafka.security-protocol is SASL_PLAINTEXT");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("TVIEWD_KAFKA_SECURITY_PROTOCOL", "SSL", "TVIEWD_KAFKA_SSL_CA_FILE", "/nonexistent/ca.pem")))
                .hasMessageContaining("Invalid value '/nonexistent/ca.pem' for 'kafka.ssl-ca-file' (from environment variable "
                        + "TVIEWD_KAFKA_SSL_CA_FILE): must be a PEM file of CA certificates that exists");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("TVIEWD_KAFKA_SASL_MECHANISM", "GSSAPI")))
                .hasMessageContaining("Invalid value 'GSSAPI' for 'kafka.sasl-mechanism'");
    }

    @Test
    void httpTls_needsBothFiles_thatExist() throws Exception {
        assertThat(ConfigLoader.load(null, Map.of()).http().tls()).isFalse();
        java.nio.file.Path cert = java.nio.file.Files.createTempFile("tviewd-cert", ".pem");
        try {
            assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("TVIEWD_HTTP_TLS_CERT_FILE", cert.toString())))
                    .hasMessageContaining("Invalid value '' for 'http.tls-key-file': required with http.tls-cert-file (" + cert + "); set both or neither");
            assertThat(ConfigLoader.load(null, Map.of("TVIEWD_HTTP_TLS_CERT_FILE", cert.toString(), "TVIEWD_HTTP_TLS_KEY_FILE", cert.toString()))
                    .http().tls()).isTrue();
        } finally {
            java.nio.file.Files.delete(cert);
        }
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("TVIEWD_HTTP_TLS_KEY_FILE", "/nonexistent/key.pem")))
                .hasMessageContaining("Invalid value '/nonexistent/key.pem' for 'http.tls-key-file' (from environment variable TVIEWD_HTTP_TLS_KEY_FILE): "
                        + "must be a PEM file that exists (no file at that path)");
    }
}
