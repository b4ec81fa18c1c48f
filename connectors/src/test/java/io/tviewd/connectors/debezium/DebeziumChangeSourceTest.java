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
    void engineProperties_ofAnUnreadableUrl_nameItWithoutItsPassword() {
        TviewdConfig cfg = ConfigLoader.load(null, Map.of());
        DatabaseConfig bad = new DatabaseConfig("jdbc:postgresql://db:notaport/app?password=s3cret", "u", Secret.of(""));
        assertThatThrownBy(() -> DebeziumChangeSource.engineProperties(bad, cfg.cdc(), "slot", "pub", "tviewd"))
                .hasMessageContaining("is not a valid PostgreSQL JDBC URL").hasMessageNotContaining("s3cret");
    }
}
