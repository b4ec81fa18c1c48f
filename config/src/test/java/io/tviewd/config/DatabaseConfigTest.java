package io.tviewd.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;

class DatabaseConfigTest {

    @Test
    void redactedUrl_masksThePasswordParameterAndUserInfo() {
        assertThat(DatabaseConfig.redact("jdbc:postgresql://db:5432/app?user=app&password=s3cret&sslmode=require"))
                .isEqualTo("jdbc:postgresql://db:5432/app?user=app&password=****&sslmode=require".replace("****", Secret.MASK));
        assertThat(DatabaseConfig.redact("jdbc:postgresql://db/app?PASSWORD=s3cret")).isEqualTo("jdbc:postgresql://db/app?PASSWORD=" + Secret.MASK);
        assertThat(DatabaseConfig.redact("jdbc:postgresql://app:s3cret@db:5432/app")).isEqualTo("jdbc:postgresql://app:" + Secret.MASK + "@db:5432/app");
        assertThat(DatabaseConfig.redact("jdbc:postgresql://db:5432/app")).isEqualTo("jdbc:postgresql://db:5432/app");
        assertThat(new DatabaseConfig("jdbc:postgresql://db/app?password=s3cret", "u", Secret.of("x")).toString()).doesNotContain("s3cret");
    }

    @Test
    void aBadUrlInTheConfig_isReportedWithItsPasswordMasked() {
        assertThatThrownBy(() -> ConfigLoader.loadYaml("database:\n  url: mysql://db/app?password=s3cret\n", Map.of()))
                .hasMessageContaining("Invalid value 'mysql://db/app?password=" + Secret.MASK + "' for 'database.url'")
                .hasMessageNotContaining("s3cret");
    }
}
