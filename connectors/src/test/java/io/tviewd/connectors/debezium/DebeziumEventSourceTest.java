package io.tviewd.connectors.debezium;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DebeziumEventSourceTest {

    @Test
    void commitLsn_isTheNumberAfterTheColon() {
        assertThat(DebeziumEventSource.commitLsn("751:26320064")).isEqualTo(26320064L);
        assertThatThrownBy(() -> DebeziumEventSource.commitLsn("751")).hasMessageContaining("expected txId:lsn");
    }
}
