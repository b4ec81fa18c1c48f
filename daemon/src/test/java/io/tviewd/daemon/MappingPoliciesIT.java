package io.tviewd.daemon;

import static io.tviewd.daemon.support.Sql.exec;
import static io.tviewd.daemon.support.Sql.session;
import static io.tviewd.daemon.support.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import io.tviewd.config.ConfigLoader;
import io.tviewd.config.DatabaseConfig;
import io.tviewd.daemon.pipeline.TviewStatus;
import io.tviewd.daemon.support.Configs;
import io.tviewd.daemon.support.Daemons;
import io.tviewd.daemon.support.TestDatabase;
import io.tviewd.daemon.support.Tviews;

/**
 * A table use no equality ties to the key (the site row picked by a constant): refused by default naming the use,
 * explicit mappings, full_refresh and warn policies. A text join without a foreign key is mapped from the query tree.
 */
class MappingPoliciesIT {

    private static final String SCHEMA = """
            CREATE TABLE tb_site (pk_site int PRIMARY KEY, name text NOT NULL);
            INSERT INTO tb_site VALUES (1, 'Blog');
            CREATE TABLE tb_item (pk_item bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                                  id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(), title text NOT NULL, category text NOT NULL);
            CREATE INDEX ON tb_item (category);
            -- joined on a text column, no foreign key: mapped through the equality l.category = i.category
            CREATE TABLE tb_category_label (category text PRIMARY KEY, label text NOT NULL);
            ALTER TABLE tb_site REPLICA IDENTITY FULL;
            ALTER TABLE tb_item REPLICA IDENTITY FULL;
            ALTER TABLE tb_category_label REPLICA IDENTITY FULL;
            CREATE VIEW v_item AS SELECT i.id, i.pk_item, jsonb_build_object('title', i.title,
                'site', (SELECT s.name FROM tb_site s WHERE s.pk_site = 1),
                'label', (SELECT l.label FROM tb_category_label l WHERE l.category = i.category)) AS data FROM tb_item i;
            CREATE TABLE tv_item (id uuid PRIMARY KEY, pk_item bigint NOT NULL, data jsonb NOT NULL);
            INSERT INTO tb_category_label VALUES ('a', 'Alpha'), ('b', 'Beta');
            INSERT INTO tb_item (title, category) SELECT 'item ' || g, CASE WHEN g % 2 = 0 THEN 'a' ELSE 'b' END FROM generate_series(1, 40) g;
            """;

    private static DatabaseConfig database(String name) throws Exception {
        DatabaseConfig db = TestDatabase.get().createDatabase(name);
        try (Connection c = session(db)) {
            exec(c, SCHEMA);
        }
        return db;
    }

    @Test
    void byDefault_aTviewWithAnUnmappableTableIsRefusedNamingTheTableAndWhatToDeclare() throws Exception {
        DatabaseConfig db = database("policy_error");
        try (Daemon daemon = new Daemon(Configs.forDatabase(db, "TVIEWD_CDC_SLOT_NAME", "policy_error"))) {
            org.assertj.core.api.Assertions.assertThatThrownBy(daemon::start).hasMessageContaining("No tviews to maintain");
            assertThat(daemon.refused().get("public.tv_item"))
                    .contains("Tview public.tv_item cannot be kept fresh: public.tb_site AS s (in v_item › scalar subquery): "
                            + "no equality condition ties it to another table's row")
                    .contains("[(SELECT s.name FROM public.tb_site s WHERE s.pk_site = 1)]")
                    .contains("mappings: [{table: public.tb_site, column: <column>, sql:")
                    .contains("unmapped: full_refresh")
                    .doesNotContain("tb_category_label");
        }
    }

    @Test
    void explicitMappingAndFullRefreshPolicy_keepTheTviewExact() throws Exception {
        DatabaseConfig db = database("policy_full");
        var config = ConfigLoader.loadYaml("""
                tviews:
                  - table: tv_item
                    unmapped: full_refresh
                    mappings:
                      - table: tb_category_label
                        column: category
                        sql: SELECT i.id FROM tb_item i WHERE i.category = ANY(:values)
                """, Configs.env(db, "TVIEWD_CDC_SLOT_NAME", "policy_full"));
        try (Daemon daemon = Daemons.started(config); Connection c = session(db)) {
            TviewStatus item = daemon.pipeline().status().get("tv_item");
            assertThat(item.toJson().encode()).contains("\"kind\":\"explicit\"").contains("\"kind\":\"full_refresh\"");
            long fullBefore = item.fullRefreshes();

            exec(c, "UPDATE tb_category_label SET label = 'Alpha 2' WHERE category = 'a'");
            await().atMost(Duration.ofSeconds(20)).until(() ->
                    "20".equals(text(c, "SELECT count(*)::text FROM tv_item WHERE data->>'label' = 'Alpha 2'")));
            assertThat(item.fullRefreshes()).as("explicit mapping, not a full refresh").isEqualTo(fullBefore);

            exec(c, "UPDATE tb_site SET name = 'Renamed blog'");
            await().atMost(Duration.ofSeconds(20)).until(() ->
                    "40".equals(text(c, "SELECT count(*)::text FROM tv_item WHERE data->>'site' = 'Renamed blog'")));
            assertThat(item.fullRefreshes()).isGreaterThan(fullBefore);
            Tviews.awaitConverged(db, Duration.ofSeconds(20), "explicit + full_refresh");
        }
    }

    @Test
    void warnPolicy_runsTheTviewAndIgnoresTheUnmappedTable() throws Exception {
        DatabaseConfig db = database("policy_warn");
        try (Daemon daemon = Daemons.started(Configs.forDatabase(db, "TVIEWD_CDC_SLOT_NAME", "policy_warn",
                "TVIEWD_REFRESH_UNMAPPED_POLICY", "warn")); Connection c = session(db)) {
            assertThat(daemon.pipeline().status().get("tv_item").toJson().getJsonArray("warnings").encode())
                    .contains("changes to public.tb_site AS s (in v_item › scalar subquery) are ignored (unmapped: warn)");
            exec(c, "UPDATE tb_item SET title = 'seen' WHERE pk_item = 1");
            await().atMost(Duration.ofSeconds(20)).until(() ->
                    "seen".equals(text(c, "SELECT t.data->>'title' FROM tv_item t JOIN tb_item i USING (id) WHERE i.pk_item = 1")));
            exec(c, "UPDATE tb_site SET name = 'Ignored'");
            // a later change proves the stream has passed the site change, which stayed unrefreshed
            exec(c, "UPDATE tb_item SET title = 'after' WHERE pk_item = 2");
            await().atMost(Duration.ofSeconds(20)).until(() ->
                    "after".equals(text(c, "SELECT t.data->>'title' FROM tv_item t JOIN tb_item i USING (id) WHERE i.pk_item = 2")));
            assertThat(text(c, "SELECT count(*)::text FROM tv_item WHERE data->>'site' = 'Blog'")).isEqualTo("39");
            assertThat(Tviews.drift(db)).containsKey("tv_item");
        }
    }
}
