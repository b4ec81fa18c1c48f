package io.tviewd.daemon.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.tviewd.connectors.RowChange;
import io.tviewd.connectors.RowChange.Op;
import io.tviewd.connectors.TableName;
import io.tviewd.connectors.postgres.catalog.BaseTable;
import io.tviewd.connectors.postgres.catalog.Tview;
import io.tviewd.connectors.postgres.plan.KeyMapping;
import io.tviewd.connectors.postgres.plan.RefreshPlan;
import io.tviewd.connectors.postgres.refresh.RefreshRequest;

class KeyMapperTest {

    private static final TableName TB_POST = new TableName("public", "tb_post");
    private static final TableName TB_COMMENT = new TableName("public", "tb_comment");
    private static final TableName TB_USER = new TableName("public", "tb_user");
    private static final KeyMapping ROOT = new KeyMapping.Direct(TB_POST, "id");
    private static final KeyMapping LINEAGE = new KeyMapping.Lineage(TB_POST, "pk_post", "pk_post", "bigint");
    private static final KeyMapping CHILD = new KeyMapping.Path(TB_COMMENT, "fk_post", "bigint",
            List.of(new KeyMapping.Hop(TB_POST, "pk_post", null)), "id", "child");
    private static final KeyMapping PARENT = new KeyMapping.Path(TB_USER, "pk_user", "bigint",
            List.of(new KeyMapping.Hop(TB_POST, "fk_author", null)), "id", "parent");

    private static final Tview TV_POST = new Tview(new TableName("public", "tv_post"), new TableName("public", "v_post"),
            "id", "uuid", List.of("id", "pk_post", "data"), Map.of("id", "uuid", "pk_post", "bigint", "data", "jsonb"),
            List.of(), List.of(base(TB_POST), base(TB_COMMENT), base(TB_USER)), List.of());

    private static final RefreshPlan PLAN = new RefreshPlan(TV_POST,
            Map.of(TB_POST, List.of(ROOT, LINEAGE), TB_COMMENT, List.of(CHILD), TB_USER, List.of(PARENT)), Set.of(), List.of());

    private static BaseTable base(TableName t) {
        return new BaseTable(t, List.of("pk"), List.of("pk"), 'f');
    }

    private static Map<String, Object> row(Object... kv) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void rootChanges_coalesceKeysWithinABatch() {
        KeyMapper.Mapped m = new KeyMapper(List.of(PLAN)).map(List.of(
                new RowChange(TB_POST, Op.INSERT, null, row("id", "a", "pk_post", 1L), 1),
                new RowChange(TB_POST, Op.UPDATE, null, row("id", "a", "pk_post", 1L), 2),
                new RowChange(TB_POST, Op.UPDATE, null, row("id", "b", "pk_post", 2L), 2)));
        assertThat(m.requests()).hasSize(1);
        RefreshRequest r = m.requests().get(0);
        assertThat(r.keys()).containsExactlyInAnyOrder("a", "b");
        assertThat(r.lookups().get(LINEAGE)).containsExactlyInAnyOrder("1", "2");
        assertThat(r.full()).isFalse();
        assertThat(m.unmappable()).isZero();
    }

    @Test
    void equalMappingsOfTwoUses_becomeOneLookupWithTheValuesOfBoth() {
        // two uses of tb_comment whose chains are the same (equal records, distinct instances)
        KeyMapping again = new KeyMapping.Path(TB_COMMENT, "fk_post", "bigint", List.of(new KeyMapping.Hop(TB_POST, "pk_post", null)), "id", "child");
        RefreshPlan plan = new RefreshPlan(TV_POST, Map.of(TB_COMMENT, List.of(CHILD, again)), Set.of(), List.of());
        KeyMapper.Mapped m = new KeyMapper(List.of(plan)).map(List.of(
                new RowChange(TB_COMMENT, Op.INSERT, null, row("fk_post", 10L), 1),
                new RowChange(TB_COMMENT, Op.UPDATE, row("fk_post", 11L), row("fk_post", 12L), 2)));
        assertThat(m.requests()).hasSize(1);
        assertThat(m.requests().get(0).lookups()).hasSize(1);
        assertThat(m.requests().get(0).lookups().get(CHILD)).containsExactlyInAnyOrder("10", "11", "12");
    }

    @Test
    void childMovedToAnotherParent_mapsOldAndNewParent() {
        KeyMapper.Mapped m = new KeyMapper(List.of(PLAN)).map(List.of(
                new RowChange(TB_COMMENT, Op.UPDATE, row("fk_post", 10L), row("fk_post", 20L), 1)));
        assertThat(m.requests().get(0).lookups().get(CHILD)).containsExactlyInAnyOrder("10", "20");
    }

    @Test
    void delete_mapsThroughOldImage() {
        KeyMapper.Mapped m = new KeyMapper(List.of(PLAN)).map(List.of(
                new RowChange(TB_COMMENT, Op.DELETE, row("fk_post", 7L), null, 1),
                new RowChange(TB_USER, Op.DELETE, row("pk_user", 3L), null, 1)));
        RefreshRequest r = m.requests().get(0);
        assertThat(r.lookups().get(CHILD)).containsExactly("7");
        assertThat(r.lookups().get(PARENT)).containsExactly("3");
    }

    @Test
    void deleteWithDefaultReplicaIdentity_usesLineageWhenKeyColumnIsMissing() {
        // REPLICA IDENTITY DEFAULT: the old image carries only the primary key, other columns null
        KeyMapper.Mapped m = new KeyMapper(List.of(PLAN)).map(List.of(
                new RowChange(TB_POST, Op.DELETE, row("pk_post", 5L, "id", null), null, 1)));
        RefreshRequest r = m.requests().get(0);
        assertThat(r.keys()).isEmpty();
        assertThat(r.lookups().get(LINEAGE)).containsExactly("5");
        assertThat(m.unmappable()).isZero();
    }

    @Test
    void changeWithoutMappingColumns_isCountedUnmappable() {
        KeyMapper.Mapped m = new KeyMapper(List.of(PLAN)).map(List.of(
                new RowChange(TB_COMMENT, Op.DELETE, row("pk_comment", 9L, "fk_post", null), null, 1)));
        assertThat(m.unmappable()).isEqualTo(1);
        assertThat(m.requests()).isEmpty();
    }

    @Test
    void truncate_asksForAFullRefresh() {
        KeyMapper.Mapped m = new KeyMapper(List.of(PLAN)).map(List.of(
                new RowChange(TB_POST, Op.UPDATE, null, row("id", "a"), 1),
                new RowChange(TB_COMMENT, Op.TRUNCATE, null, null, 2)));
        assertThat(m.requests()).hasSize(1);
        assertThat(m.requests().get(0).full()).isTrue();
    }

    @Test
    void fullRefreshPolicyTable_asksForAFullRefresh() {
        TableName tbAudit = new TableName("public", "tb_audit");
        RefreshPlan plan = new RefreshPlan(TV_POST, Map.of(TB_POST, List.of(ROOT), tbAudit,
                List.of(new KeyMapping.FullRefresh(tbAudit))), Set.of(), List.of());
        KeyMapper.Mapped m = new KeyMapper(List.of(plan)).map(List.of(
                new RowChange(tbAudit, Op.INSERT, null, row("x", 1), 1)));
        assertThat(m.requests()).singleElement().matches(RefreshRequest::full);
    }

    @Test
    void toastPlaceholder_isNeverTakenForAKey() {
        KeyMapper.Mapped m = new KeyMapper(List.of(PLAN)).map(List.of(
                new RowChange(TB_COMMENT, Op.UPDATE, null, row("fk_post", KeyMapper.UNAVAILABLE), 1)));
        assertThat(m.requests()).isEmpty();
        assertThat(m.unmappable()).isEqualTo(1);
    }

    @Test
    void changesToUnrelatedTables_mapToNothing() {
        KeyMapper.Mapped m = new KeyMapper(List.of(PLAN)).map(List.of(
                new RowChange(new TableName("public", "tb_other"), Op.INSERT, null, row("id", "x"), 1)));
        assertThat(m.requests()).isEmpty();
    }

    @Test
    void keysMappedPerTable_countsDistinctKeysPerTview() {
        KeyMapper.Mapped m = new KeyMapper(List.of(PLAN)).map(List.of(
                new RowChange(TB_COMMENT, Op.INSERT, null, row("fk_post", 1L), 1),
                new RowChange(TB_COMMENT, Op.INSERT, null, row("fk_post", 1L), 1),
                new RowChange(TB_COMMENT, Op.INSERT, null, row("fk_post", 2L), 1)));
        assertThat(m.keysPerTable().get("tv_post").get(TB_COMMENT)).isEqualTo(2);
    }

    private static final RefreshPlan READS_NAME = new RefreshPlan(TV_POST, Map.of(TB_USER, List.of(PARENT)), Set.of(), List.of(),
            Map.of(TB_USER, Set.of("pk_user", "name")), List.of());

    @Test
    void update_ofColumnsTheViewDoesNotRead_mapsToNothing_andIsCounted() {
        KeyMapper.Mapped m = new KeyMapper(List.of(READS_NAME)).map(List.of(new RowChange(TB_USER, Op.UPDATE,
                row("pk_user", 3L, "name", "Ann", "last_login", "monday"), row("pk_user", 3L, "name", "Ann", "last_login", "tuesday"), 1)));
        assertThat(m.requests()).isEmpty();
        assertThat(m.ignoredPerTable()).isEqualTo(Map.of("tv_post", Map.of(TB_USER, 1)));
        assertThat(m.unmappable()).isZero();
    }

    @Test
    void update_ofAReadColumn_maps() {
        KeyMapper.Mapped m = new KeyMapper(List.of(READS_NAME)).map(List.of(new RowChange(TB_USER, Op.UPDATE,
                row("pk_user", 3L, "name", "Ann", "last_login", "monday"), row("pk_user", 3L, "name", "Anna", "last_login", "monday"), 1)));
        assertThat(m.requests()).hasSize(1);
        assertThat(m.requests().get(0).lookups().get(PARENT)).containsExactly("3");
        assertThat(m.ignoredPerTable()).isEmpty();
    }

    @Test
    void update_withAnUnchangedToastedValue_countsItAsUnchanged_butOnlyWhereTheOldImageHasTheColumn() {
        KeyMapper mapper = new KeyMapper(List.of(READS_NAME));
        assertThat(mapper.map(List.of(new RowChange(TB_USER, Op.UPDATE, row("pk_user", 3L, "name", "Ann", "bio", "a"),
                row("pk_user", 3L, "name", KeyMapper.UNAVAILABLE, "bio", "b"), 1))).requests()).isEmpty();
        // an old image without the column (not logged) proves nothing: the change maps
        assertThat(mapper.map(List.of(new RowChange(TB_USER, Op.UPDATE, row("pk_user", 3L),
                row("pk_user", 3L, "name", "Ann"), 1))).requests()).hasSize(1);
        assertThat(mapper.map(List.of(new RowChange(TB_USER, Op.UPDATE, null, row("pk_user", 3L, "name", "Ann"), 1))).requests())
                .hasSize(1);
    }

    @Test
    void columnFilter_appliesToUpdatesOnly_andNotWhereThePlanKnowsNoReadColumns() {
        Map<String, Object> user = row("pk_user", 3L, "name", "Ann");
        KeyMapper filtered = new KeyMapper(List.of(READS_NAME));
        assertThat(filtered.map(List.of(new RowChange(TB_USER, Op.INSERT, null, user, 1))).requests()).hasSize(1);
        assertThat(filtered.map(List.of(new RowChange(TB_USER, Op.DELETE, user, null, 1))).requests()).hasSize(1);
        // no read columns known (say REPLICA IDENTITY DEFAULT): an identical update still maps
        KeyMapper unfiltered = new KeyMapper(List.of(new RefreshPlan(TV_POST, Map.of(TB_USER, List.of(PARENT)), Set.of(), List.of())));
        assertThat(unfiltered.map(List.of(new RowChange(TB_USER, Op.UPDATE, user, user, 1))).requests()).hasSize(1);
    }
}
