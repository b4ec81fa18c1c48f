package io.tviewd.connectors.debezium;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Properties;

import org.junit.jupiter.api.Test;

import io.tviewd.config.ConfigLoader;
import io.tviewd.config.DatabaseConfig;
import io.tviewd.config.Secret;
import io.tviewd.config.TviewdConfig;

class DebeziumChangeSourceTest {

    @Test
    void engineProperties_takeUserPasswordAndTlsFromTheUrl_likeTheDaemonsOwnSessions() {
        TviewdConfig cfg = ConfigLoader.load(null, Map.of("TVIEWD_DATABASE_URL",
                "jdbc:postgresql://db.example:6432/app?user=repl&password=s3cret&sslmode=verify-full&sslrootcert=/etc/ca.pem"));
        Properties p = DebeziumChangeSource.engineProperties(cfg.database(), cfg.cdc(), "slot", "pub", "tviewd");
        assertThat(p.getProperty("database.hostname")).isEqualTo("db.example");
        assertThat(p.getProperty("database.port")).isEqualTo("6432");
        assertThat(p.getProperty("database.user")).isEqualTo("repl");
        assertThat(p.getProperty("database.password")).isEqualTo("s3cret");
        assertThat(p.getProperty("database.sslmode")).isEqualTo("verify-full");
        assertThat(p.getProperty("database.sslrootcert")).isEqualTo("/etc/ca.pem");
    }

    @Test
    void postgresValue_turnsDebeziumTemporalEncodingsIntoTextPostgresReads() {
        assertThat(DebeziumChangeSource.postgresValue("io.debezium.time.Date", 20471)).isEqualTo("2026-01-18");
        assertThat(DebeziumChangeSource.postgresValue("io.debezium.time.MicroTimestamp", 1_768_694_400_123_456L))
                .isEqualTo("2026-01-18T00:00:00.123456");
        assertThat(DebeziumChangeSource.postgresValue("io.debezium.time.Timestamp", -1L)).isEqualTo("1969-12-31T23:59:59.999");
        assertThat(DebeziumChangeSource.postgresValue("io.debezium.time.MicroTime", 3_723_000_001L)).isEqualTo("01:02:03.000001");
        assertThat(DebeziumChangeSource.postgresValue("io.debezium.time.ZonedTimestamp", "2026-01-18T00:00:00Z"))
                .isEqualTo("2026-01-18T00:00:00Z");
        assertThat(DebeziumChangeSource.postgresValue(null, 42)).isEqualTo(42);
    }

    @Test
    void engineProperties_ofAnUnreadableUrl_nameItWithoutItsPassword() {
        TviewdConfig cfg = ConfigLoader.load(null, Map.of());
        DatabaseConfig bad = new DatabaseConfig("jdbc:postgresql://db:notaport/app?password=s3cret", "u", Secret.of(""));
        assertThatThrownBy(() -> DebeziumChangeSource.engineProperties(bad, cfg.cdc(), "slot", "pub", "tviewd"))
                .hasMessageContaining("is not a valid PostgreSQL JDBC URL").hasMessageNotContaining("s3cret");
    }
}
