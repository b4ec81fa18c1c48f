package io.tviewd.connectors.postgres.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.tviewd.connectors.TableName;
import io.tviewd.connectors.postgres.catalog.Tview;

class TopologicalOrderTest {

    private static RefreshPlan plan(String name, String... dependsOn) {
        List<TableName> deps = java.util.Arrays.stream(dependsOn).map(d -> new TableName("public", d)).toList();
        return new RefreshPlan(new Tview(new TableName("public", name), new TableName("public", "v_" + name), "id", "uuid",
                List.of("id"), Map.of("id", "uuid"), List.of(), List.of(), deps), Map.of(), Set.of(), List.of());
    }

    @Test
    void sort_putsATviewAfterTheTviewsItReads() {
        List<RefreshPlan> sorted = TopologicalOrder.sort(List.of(plan("tv_user", "tv_post"), plan("tv_post", "tv_comment"),
                plan("tv_comment")));
        assertThat(sorted.stream().map(p -> p.tview().name())).containsExactly("tv_comment", "tv_post", "tv_user");
    }

    @Test
    void sort_cycle_isRefusedNamingIt() {
        assertThatThrownBy(() -> TopologicalOrder.sort(List.of(plan("tv_a", "tv_b"), plan("tv_b", "tv_a"))))
                .hasMessage("Tview dependency cycle: public.tv_a -> public.tv_b -> public.tv_a");
    }
}
