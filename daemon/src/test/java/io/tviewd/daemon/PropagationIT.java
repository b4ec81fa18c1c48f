package io.tviewd.daemon;

import static io.tviewd.daemon.support.Sql.exec;
import static io.tviewd.daemon.support.Sql.session;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.tviewd.config.DatabaseConfig;
import io.tviewd.connectors.TableName;
import io.tviewd.connectors.postgres.plan.KeyMapping;
import io.tviewd.connectors.postgres.plan.RefreshPlan;
import io.tviewd.daemon.support.Configs;
import io.tviewd.daemon.support.Daemons;
import io.tviewd.daemon.support.PropagationWorkload;
import io.tviewd.daemon.support.TestDatabase;
import io.tviewd.daemon.support.Tviews;
import io.tviewd.daemon.support.Workloads;

/**
 * The differential test of propagation: a seeded random workload over users, posts, comments and tags
 * (many-to-many), with a two-level nested tview and a bigint-keyed analytic tview, several concurrent
 * writers and a TRUNCATE; after writes stop, every tview equals its view row for row.
 * Longer run: {@code ./mvnw verify -Dit.test=PropagationIT -Dtviewd.seed=7 -Dtviewd.ops=5000}.
 */
class PropagationIT {

    private static DatabaseConfig db;
    private static Daemon daemon;

    @BeforeAll
    static void start() throws Exception {
        db = TestDatabase.get().createDatabase("propagation");
        try (Connection c = session(db)) {
            exec(c, resource("/propagation/schema.sql"));
        }
        daemon = Daemons.started(Configs.forDatabase(db, "TVIEWD_CDC_SLOT_NAME", "propagation", "TVIEWD_CDC_HEARTBEAT_INTERVAL", "1s"));
    }

    @AfterAll
    static void stop() {
        if (daemon != null) {
            daemon.close();
        }
    }

    @Test
    void plan_derivesEveryMappingKindFromTheCatalog() {
        Map<String, String> tvPost = kinds("tv_post");
        // v_post reads tb_post once: its key and its lineage column
        assertThat(tvPost).containsEntry("tb_post", "lineage,root")
                // fk_post only: the view ties comments to the post by c.fk_post = p.pk_post, not by who wrote them
                .containsEntry("tb_comment", "child")
                .containsEntry("tb_post_tag", "child")
                .containsEntry("tb_tag", "multi-hop")
                // the author (role-named fk_author) and the commenters' names
                .containsEntry("tb_user", "multi-hop,parent");
        Map<String, String> tvUser = kinds("tv_user");
        // a commenter's rename reaches the users whose posts (embedded via tv_post) carry the comment
        assertThat(tvUser).containsEntry("tb_user", "lineage,multi-hop,root")
                .containsEntry("tb_tag", "multi-hop")
                .containsKeys("tb_post", "tb_comment", "tb_post_tag");
        assertThat(daemon.pipeline().status().get("tv_user").plan().tview().dependsOn())
                .containsExactly(new TableName("public", "tv_post"));
        Map<String, String> taTag = kinds("ta_tag");
        assertThat(taTag).containsEntry("tb_tag", "root").containsEntry("tb_post_tag", "child").containsEntry("tb_post", "multi-hop");
        assertThat(daemon.pipeline().status().keySet()).containsSubsequence("tv_post", "tv_user");
    }

    @Test
    void randomWorkload_withTruncate_everyTviewEqualsItsView() throws Exception {
        long seed = Workloads.seed();
        int ops = Workloads.opsPerWriter(300);
        String context = "seed " + seed + ", " + ops + " ops per writer";
        // a TRUNCATE (full refresh of every tview reading the table) early, then the bulk of the workload,
        // so that the full refresh cannot hide changes the mappings missed
        Workloads.run(db, seed, 1, Math.max(1, ops / 5), PropagationWorkload.OPS);
        long fullBefore = daemon.pipeline().status().get("tv_post").fullRefreshes();
        try (Connection c = session(db)) {
            exec(c, "TRUNCATE tb_post_tag");
            exec(c, "INSERT INTO tb_post_tag (fk_post, fk_tag) SELECT DISTINCT p.pk_post, t.pk_tag FROM tb_post p "
                    + "JOIN tb_tag t ON (p.pk_post * 7 + t.pk_tag) % 97 = 0 ON CONFLICT DO NOTHING");
        }
        // a full refresh reads the views' current state: let it happen before the next writes
        await().atMost(Duration.ofSeconds(60)).until(() -> daemon.pipeline().status().get("tv_post").fullRefreshes() > fullBefore);
        Workloads.run(db, seed + 1, 3, ops, PropagationWorkload.OPS);
        Tviews.awaitConverged(db, Duration.ofSeconds(90), context);
    }

    private static Map<String, String> kinds(String tview) {
        RefreshPlan plan = daemon.pipeline().status().get(tview).plan();
        return plan.mappings().entrySet().stream().collect(Collectors.toMap(e -> e.getKey().name(),
                e -> e.getValue().stream().map(KeyMapping::kind).distinct().sorted().collect(Collectors.joining(","))));
    }

    private static String resource(String path) throws IOException {
        try (InputStream in = PropagationIT.class.getResourceAsStream(path)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

}
