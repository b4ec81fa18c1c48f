package io.tviewd.connectors.postgres.triggers;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.tviewd.connectors.TableName;
import io.tviewd.connectors.postgres.catalog.Tview;

class TriggerStatementsTest {

    private static Tview tview(String schema, String name) {
        return new Tview(new TableName(schema, name), new TableName(schema, "v_x"), "id", "uuid", List.of("id", "data"),
                Map.of("id", "uuid", "data", "jsonb"), List.of(), List.of(), List.of());
    }

    @Test
    void names_fitSixtyThreeBytes_withoutSplittingACharacter_andStayUniqueAcrossSchemas() {
        Tview accented = tview("public", "tv_" + "ñandú_évènement_".repeat(4));
        for (String name : List.of(TriggerStatements.triggerName(accented, 1, "ins"), TriggerStatements.refreshFunction(accented),
                TriggerStatements.tableFunction(accented, new TableName("public", "tb_" + "ñ".repeat(40)), "upd"))) {
            assertThat(name.getBytes(StandardCharsets.UTF_8).length).as(name).isLessThanOrEqualTo(63);
            assertThat(new String(name.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8)).isEqualTo(name);
        }
        assertThat(TriggerStatements.isTriggerOf(accented, TriggerStatements.triggerName(accented, 7, "trunc"))).isTrue();

        Tview a = tview("sales", "tv_order");
        Tview b = tview("archive", "tv_order");
        assertThat(TriggerStatements.triggerName(a, 1, "ins")).isNotEqualTo(TriggerStatements.triggerName(b, 1, "ins"));
        assertThat(TriggerStatements.refreshFunction(a)).isNotEqualTo(TriggerStatements.refreshFunction(b));
        assertThat(TriggerStatements.isTriggerOf(a, TriggerStatements.triggerName(b, 1, "ins"))).isFalse();
        // triggers named by earlier versions are still recognised, so they are cleaned up
        assertThat(TriggerStatements.isTriggerOf(a, "tviewd_001_tv_order_ins")).isTrue();
    }

    @Test
    void dollarQuote_isATagTheBodyDoesNotContain() {
        assertThat(TriggerStatements.dollarQuoted("SELECT 1")).isEqualTo("$tviewd$SELECT 1$tviewd$");
        assertThat(TriggerStatements.dollarQuoted("SELECT '$tviewd$'")).isEqualTo("$tviewd1$SELECT '$tviewd$'$tviewd1$");
    }
}
