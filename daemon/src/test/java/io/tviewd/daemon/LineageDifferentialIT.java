package io.tviewd.daemon;

import static io.tviewd.daemon.support.Sql.exec;
import static io.tviewd.daemon.support.Sql.session;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;

import io.tviewd.config.DatabaseConfig;
import io.tviewd.connectors.postgres.PostgresSessions;
import io.tviewd.connectors.postgres.catalog.Tview;
import io.tviewd.connectors.postgres.refresh.TviewComparison;
import io.tviewd.daemon.support.Configs;
import io.tviewd.daemon.support.Daemons;
import io.tviewd.daemon.support.TestDatabase;
import io.tviewd.daemon.support.Tviews;

/**
 * Randomized view shapes over one schema, then a random workload: every generated tview must equal its view, or be
 * refused with a message naming the use it cannot map. A silent difference fails and prints the view SQL and seed.
 * Generated shapes: joins on foreign-key and other columns, the same table in several roles, junctions, correlated
 * counts, aggregates and top-N subqueries, siblings, grouped derived tables, LEFT JOIN, EXISTS/IN filters, UNION ALL
 * branches, CTEs, nested views, LEFT JOIN LATERAL, RIGHT and FULL joins in derived tables (accepted and exact), a nested tview,
 * a range-partitioned table (odd seeds); and shapes
 * that must be refused (global rank, totals, a LIMIT 1 row, a global top-N,
 * time, a function reading a table).
 *
 * <p>CI runs {@value #DEFAULT_SEEDS} seeds; {@code -Dlineage.seeds=N} (and {@code -Dlineage.seed=S} for one) runs more:
 * {@code ./mvnw -pl daemon verify -Dit.test=LineageDifferentialIT -Dlineage.seeds=200}.
 */
class LineageDifferentialIT {

    static final int DEFAULT_SEEDS = 3;
    private static final int VIEWS_PER_SEED = 8;

    private static final String SCHEMA = """
            CREATE TABLE tb_user (pk_user bigint PRIMARY KEY, id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
                                  name text NOT NULL, org text NOT NULL, score int NOT NULL);
            CREATE TABLE tb_category (code text PRIMARY KEY, label text NOT NULL);
            CREATE TABLE tb_post (pk_post bigint PRIMARY KEY, id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
                                  fk_author bigint NOT NULL REFERENCES tb_user, title text NOT NULL, category text NOT NULL,
                                  created int NOT NULL);
            CREATE TABLE tb_comment (pk_comment bigint PRIMARY KEY, fk_post bigint NOT NULL REFERENCES tb_post ON DELETE CASCADE,
                                     fk_user bigint NOT NULL REFERENCES tb_user, body text NOT NULL, created int NOT NULL);
            CREATE TABLE tb_follow (fk_follower bigint NOT NULL REFERENCES tb_user, fk_followee bigint NOT NULL REFERENCES tb_user,
                                    PRIMARY KEY (fk_follower, fk_followee));
            CREATE TABLE tb_photo (pk_photo bigint PRIMARY KEY, id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
                                   fk_owner bigint NOT NULL REFERENCES tb_user, caption text NOT NULL);
            CREATE TABLE tb_setting (key text PRIMARY KEY, value text NOT NULL);
            ALTER TABLE tb_user REPLICA IDENTITY FULL; ALTER TABLE tb_category REPLICA IDENTITY FULL;
            ALTER TABLE tb_post REPLICA IDENTITY FULL; ALTER TABLE tb_comment REPLICA IDENTITY FULL;
            ALTER TABLE tb_follow REPLICA IDENTITY FULL; ALTER TABLE tb_photo REPLICA IDENTITY FULL;
            ALTER TABLE tb_setting REPLICA IDENTITY FULL;
            CREATE FUNCTION f_post_count(bigint) RETURNS bigint LANGUAGE sql STABLE AS 'SELECT count(*) FROM tb_post WHERE fk_author = $1';
            INSERT INTO tb_setting VALUES ('a', 'one'), ('b', 'two');
            INSERT INTO tb_category SELECT 'c' || g, 'Category ' || g FROM generate_series(1, 5) g;
            INSERT INTO tb_user (pk_user, name, org, score) SELECT g, 'user ' || g, 'org' || (g % 4), g % 7 FROM generate_series(1, 30) g;
            INSERT INTO tb_post (pk_post, fk_author, title, category, created)
                SELECT g, 1 + g % 30, 'post ' || g, 'c' || (1 + g % 6), g FROM generate_series(1, 80) g;
            INSERT INTO tb_comment SELECT g, 1 + g % 80, 1 + (g * 7) % 30, 'comment ' || g, g FROM generate_series(1, 200) g;
            INSERT INTO tb_follow SELECT DISTINCT 1 + g % 30, 1 + (g * 11) % 30 FROM generate_series(1, 90) g WHERE g % 30 <> (g * 11) % 30;
            INSERT INTO tb_photo (pk_photo, fk_owner, caption) SELECT g, 1 + g % 30, 'photo ' || g FROM generate_series(1, 40) g;
            -- a nested tview some generated views embed
            CREATE VIEW v_gu AS SELECT u.id, u.pk_user, jsonb_build_object('name', u.name,
                'nposts', (SELECT count(*) FROM tb_post p WHERE p.fk_author = u.pk_user)) AS data FROM tb_user u;
            CREATE TABLE tv_gu (id uuid PRIMARY KEY, pk_user bigint NOT NULL UNIQUE, data jsonb NOT NULL);
            CREATE VIEW v_author_card AS SELECT u.pk_user, u.name, (SELECT count(*) FROM tb_follow f WHERE f.fk_followee = u.pk_user) AS fans
                FROM tb_user u;
            """;

    private static final String DEEP_SCHEMA = """
                    CREATE TABLE tb_customer (pk bigint PRIMARY KEY, id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(), name text NOT NULL);
                    CREATE TABLE tb_order (pk bigint PRIMARY KEY, fk_customer bigint NOT NULL REFERENCES tb_customer, ref text NOT NULL);
                    CREATE TABLE tb_product (pk bigint PRIMARY KEY, id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(), name text NOT NULL);
                    CREATE TABLE tb_item (pk bigint PRIMARY KEY, fk_order bigint NOT NULL REFERENCES tb_order ON DELETE CASCADE,
                                          fk_product bigint NOT NULL REFERENCES tb_product, qty int NOT NULL);
                    CREATE TABLE tb_tag (pk bigint PRIMARY KEY, label text NOT NULL);
                    CREATE TABLE tb_product_tag (fk_product bigint REFERENCES tb_product, fk_tag bigint REFERENCES tb_tag,
                                                 PRIMARY KEY (fk_product, fk_tag));
                    ALTER TABLE tb_customer REPLICA IDENTITY FULL; ALTER TABLE tb_order REPLICA IDENTITY FULL;
                    ALTER TABLE tb_product REPLICA IDENTITY FULL; ALTER TABLE tb_item REPLICA IDENTITY FULL;
                    ALTER TABLE tb_tag REPLICA IDENTITY FULL; ALTER TABLE tb_product_tag REPLICA IDENTITY FULL;
                    CREATE VIEW v_product AS SELECT p.id, p.pk, jsonb_build_object('name', p.name, 'tags',
                        (SELECT jsonb_agg(t.label ORDER BY t.pk) FROM tb_product_tag pt JOIN tb_tag t ON t.pk = pt.fk_tag
                         WHERE pt.fk_product = p.pk)) AS data FROM tb_product p;
                    CREATE TABLE tv_product (id uuid PRIMARY KEY, pk bigint NOT NULL UNIQUE, data jsonb NOT NULL);
                    CREATE VIEW v_customer AS SELECT cu.id, jsonb_build_object('name', cu.name, 'orders',
                        (SELECT jsonb_agg(jsonb_build_object('ref', o.ref, 'items',
                            (SELECT jsonb_agg(jsonb_build_object('qty', i.qty, 'product', tp.data) ORDER BY i.pk)
                             FROM tb_item i JOIN tv_product tp ON tp.pk = i.fk_product WHERE i.fk_order = o.pk)) ORDER BY o.pk)
                         FROM tb_order o WHERE o.fk_customer = cu.pk)) AS data FROM tb_customer cu;
                    CREATE TABLE tv_customer (id uuid PRIMARY KEY, data jsonb NOT NULL);
                    INSERT INTO tb_customer (pk, name) SELECT g, 'customer ' || g FROM generate_series(1, 10) g;
                    INSERT INTO tb_order SELECT g, 1 + g % 10, 'order ' || g FROM generate_series(1, 30) g;
                    INSERT INTO tb_product (pk, name) SELECT g, 'product ' || g FROM generate_series(1, 12) g;
                    INSERT INTO tb_item SELECT g, 1 + g % 30, 1 + g % 12, g FROM generate_series(1, 80) g;
                    INSERT INTO tb_tag SELECT g, 'tag ' || g FROM generate_series(1, 6) g;
                    INSERT INTO tb_product_tag SELECT DISTINCT 1 + g % 12, 1 + g % 6 FROM generate_series(1, 30) g;
                    """;

    /** Odd seeds: tb_comment range-partitioned (rows move between partitions), each leaf with its own FULL identity. */
    private static final String PARTITIONED_COMMENT = """
            CREATE TABLE tb_comment (pk_comment bigint PRIMARY KEY, fk_post bigint NOT NULL REFERENCES tb_post ON DELETE CASCADE,
                                     fk_user bigint NOT NULL REFERENCES tb_user, body text NOT NULL, created int NOT NULL)
                PARTITION BY RANGE (pk_comment);
            CREATE TABLE tb_comment_lo PARTITION OF tb_comment FOR VALUES FROM (MINVALUE) TO (150);
            CREATE TABLE tb_comment_hi PARTITION OF tb_comment FOR VALUES FROM (150) TO (MAXVALUE);
            ALTER TABLE tb_comment_lo REPLICA IDENTITY FULL; ALTER TABLE tb_comment_hi REPLICA IDENTITY FULL;
            """;

    static String schema(long seed) {
        if (seed % 2 == 0) {
            return SCHEMA;
        }
        int start = SCHEMA.indexOf("CREATE TABLE tb_comment");
        int end = SCHEMA.indexOf("CREATE TABLE tb_follow");
        return SCHEMA.substring(0, start) + PARTITIONED_COMMENT + SCHEMA.substring(end);
    }

    /** One piece of a generated view: a field of its document, and whether tviewd can prove it covered. */
    record Part(String field, String sql, boolean mappable, String join, String where) {
        static Part field(String field, String sql, boolean mappable) {
            return new Part(field, sql, mappable, "", "");
        }
    }

    private static List<Part> postParts() {
        return List.of(
                Part.field("author", "(SELECT u.name FROM tb_user u WHERE u.pk_user = p.fk_author)", true),
                new Part("author_join", "a.name", true, " LEFT JOIN tb_user a ON a.pk_user = p.fk_author", ""),
                Part.field("label", "(SELECT c.label FROM tb_category c WHERE c.code = p.category)", true),
                new Part("label_join", "cat.label", true, " LEFT JOIN tb_category cat ON cat.code = p.category", ""),
                Part.field("ncomments", "(SELECT count(*) FROM tb_comment c WHERE c.fk_post = p.pk_post)", true),
                Part.field("last2", "(SELECT jsonb_agg(x.body ORDER BY x.created DESC) FROM (SELECT c.body, c.created FROM tb_comment c"
                        + " WHERE c.fk_post = p.pk_post ORDER BY c.created DESC, c.pk_comment DESC LIMIT 2) x)", true),
                Part.field("commenters", "(SELECT jsonb_agg(cu.name ORDER BY cu.name, c.pk_comment) FROM tb_comment c"
                        + " JOIN tb_user cu ON cu.pk_user = c.fk_user WHERE c.fk_post = p.pk_post)", true),
                Part.field("siblings", "(SELECT count(*) FROM tb_post p2 WHERE p2.fk_author = p.fk_author)", true),
                Part.field("fans", "(SELECT count(*) FROM tb_follow f WHERE f.fk_followee = p.fk_author)", true),
                Part.field("fan_names", "(SELECT jsonb_agg(fu.name ORDER BY fu.name) FROM tb_follow f JOIN tb_user fu"
                        + " ON fu.pk_user = f.fk_follower WHERE f.fk_followee = p.fk_author)", true),
                new Part("lastc", "g.lastc", true, " LEFT JOIN (SELECT c.fk_post, max(c.created) AS lastc FROM tb_comment c"
                        + " GROUP BY c.fk_post) g ON g.fk_post = p.pk_post", ""),
                Part.field("org_mates", "(SELECT count(*) FROM tb_user o JOIN tb_user au ON au.org = o.org WHERE au.pk_user = p.fk_author)", true),
                new Part("has_comments", "true", true, "", "EXISTS (SELECT 1 FROM tb_comment c WHERE c.fk_post = p.pk_post)"),
                new Part("followed_author", "true", true, "", "p.fk_author IN (SELECT f.fk_followee FROM tb_follow f)"),
                Part.field("card", "(SELECT jsonb_build_object('n', ac.name, 'f', ac.fans) FROM v_author_card ac"
                        + " WHERE ac.pk_user = p.fk_author)", true),
                Part.field("author_doc", "(SELECT gu.data FROM tv_gu gu WHERE gu.pk_user = p.fk_author)", true),
                new Part("lat", "lat.n", true, " LEFT JOIN LATERAL (SELECT count(*) AS n, max(c.body) AS b FROM tb_comment c"
                        + " WHERE c.fk_post = p.pk_post) lat ON true", ""),
                Part.field("cte", "(WITH mine AS (SELECT c.body FROM tb_comment c WHERE c.fk_post = p.pk_post)"
                        + " SELECT count(*) FROM mine)", true),
                // provable through the outer joins' own conditions (the nullable side, both sides of the FULL JOIN)
                new Part("right_label", "rj.label", true, " LEFT JOIN (SELECT y.code, y.label, x.code AS xcode FROM tb_category x"
                        + " RIGHT JOIN tb_category y ON y.code = x.code) rj ON rj.code = p.category", ""),
                new Part("full_label", "fj.label", true, " LEFT JOIN (SELECT c1.code, c2.label FROM tb_category c1"
                        + " FULL JOIN tb_category c2 ON c2.code = c1.code) fj ON fj.code = p.category", ""),
                // not provable: must be refused, naming the use
                Part.field("rank", "(SELECT count(*) FROM tb_post p3 WHERE p3.created < p.created)", false),
                Part.field("total", "(SELECT count(*) FROM tb_comment)", false),
                Part.field("setting", "(SELECT s.value FROM tb_setting s ORDER BY s.key LIMIT 1)", false),
                Part.field("recent5", "(SELECT count(*) FROM (SELECT c.fk_post FROM tb_comment c ORDER BY c.created DESC,"
                        + " c.pk_comment DESC LIMIT 5) t WHERE t.fk_post = p.pk_post)", false),
                Part.field("fn", "f_post_count(p.fk_author)", false),
                Part.field("today", "(current_date > DATE '2000-01-01')", false));
    }

    private static List<Part> userParts() {
        return List.of(
                Part.field("nposts", "(SELECT count(*) FROM tb_post p WHERE p.fk_author = u.pk_user)", true),
                Part.field("titles", "(SELECT jsonb_agg(p.title ORDER BY p.pk_post) FROM tb_post p WHERE p.fk_author = u.pk_user)", true),
                Part.field("followers", "(SELECT jsonb_agg(fu.name ORDER BY fu.name) FROM tb_follow f JOIN tb_user fu"
                        + " ON fu.pk_user = f.fk_follower WHERE f.fk_followee = u.pk_user)", true),
                Part.field("received", "(SELECT count(*) FROM tb_comment c JOIN tb_post mp ON mp.pk_post = c.fk_post"
                        + " WHERE mp.fk_author = u.pk_user)", true),
                Part.field("org_size", "(SELECT count(*) FROM tb_user m WHERE m.org = u.org)", true),
                Part.field("photos", "(SELECT count(*) FROM tb_photo ph WHERE ph.fk_owner = u.pk_user)", true),
                Part.field("better", "(SELECT count(*) FROM tb_user u2 WHERE u2.score > u.score)", false));
    }

    /** Parts whose views are provable but may be refused by a conservative analysis: either outcome passes, never staleness. */
    /** A generated view, and whether every use in it is provable (it must be accepted) or not (it must be refused). */
    record Generated(String name, String sql, boolean mappable) {
    }

    static List<Generated> generate(long seed) {
        Random r = new Random(seed);
        List<Generated> out = new ArrayList<>();
        for (int i = 0; i < VIEWS_PER_SEED; i++) {
            String name = "g" + seed + "_" + i;
            int shape = r.nextInt(10);
            boolean unprovable = r.nextInt(4) == 0;
            if (shape < 6) {
                out.add(compose(name, r, postParts(), unprovable, "p.id", "tb_post p"));
            } else if (shape < 8) {
                out.add(compose(name, r, userParts(), unprovable, "u.id", "tb_user u"));
            } else {
                out.add(feed(name, r));
            }
        }
        return out;
    }

    private static Generated compose(String name, Random r, List<Part> all, boolean unprovable, String key, String from) {
        List<Part> pool = new ArrayList<>(all.stream().filter(Part::mappable).toList());
        List<Part> bad = all.stream().filter(p -> !p.mappable()).toList();
        List<Part> chosen = new ArrayList<>();
        int n = 1 + r.nextInt(4);
        for (int k = 0; k < n && !pool.isEmpty(); k++) {
            chosen.add(pool.remove(r.nextInt(pool.size())));
        }
        if (unprovable) {
            chosen.add(r.nextInt(chosen.size() + 1), bad.get(r.nextInt(bad.size())));
        }
        StringBuilder fields = new StringBuilder();
        StringBuilder joins = new StringBuilder();
        List<String> where = new ArrayList<>();
        for (Part p : chosen) {
            fields.append(fields.length() == 0 ? "" : ", ").append("'").append(p.field()).append("', ").append(p.sql());
            joins.append(p.join());
            if (!p.where().isEmpty()) {
                where.add(p.where());
            }
        }
        String sql = "SELECT " + key + ", jsonb_build_object(" + fields + ") AS data FROM " + from + joins
                + (where.isEmpty() ? "" : " WHERE " + String.join(" AND ", where));
        boolean provable = chosen.stream().allMatch(Part::mappable);
        return new Generated(name, sql, provable);
    }

    private static Generated feed(String name, Random r) {
        String author = r.nextBoolean() ? "(SELECT u.name FROM tb_user u WHERE u.pk_user = p.fk_author)" : "p.title";
        String owner = r.nextBoolean() ? "(SELECT u.name FROM tb_user u WHERE u.pk_user = ph.fk_owner)" : "ph.caption";
        String sql = "SELECT p.id, jsonb_build_object('kind', 'post', 'text', p.title, 'by', " + author + ") AS data FROM tb_post p"
                + " UNION ALL SELECT ph.id, jsonb_build_object('kind', 'photo', 'text', ph.caption, 'by', " + owner
                + ") AS data FROM tb_photo ph";
        return new Generated(name, sql, true);
    }

    /** Random writes to every table, in small transactions; returns how many statements ran. */
    static int workload(Connection c, Random r, int statements) throws SQLException {
        return workload(c, r, statements, 0);
    }

    /**
     * As {@link #workload(Connection, Random, int)}, new keys offset by {@code idBase} so that concurrent writers do not
     * collide; a statement that loses a deadlock (40P01, possible in trigger mode between multi-row statements) or a
     * serialization failure (40001: a concurrent update moved the row to another partition) is rolled back by
     * PostgreSQL and not counted.
     */
    static int workload(Connection c, Random r, int statements, int idBase) throws SQLException {
        int done = 0;
        int nextPost = 10_000 + idBase;
        int nextComment = 10_000 + idBase;
        for (int i = 0; i < statements; i++) {
            int user = 1 + r.nextInt(30);
            int post = 1 + r.nextInt(80);
            String sql = switch (r.nextInt(17)) {
                case 0 -> "UPDATE tb_user SET name = 'renamed " + i + "' WHERE pk_user = " + user;
                case 1 -> "UPDATE tb_user SET org = 'org" + r.nextInt(4) + "', score = " + r.nextInt(9) + " WHERE pk_user = " + user;
                case 2 -> "UPDATE tb_post SET title = 'retitled " + i + "' WHERE pk_post = " + post;
                case 3 -> "UPDATE tb_post SET fk_author = " + user + " WHERE pk_post = " + post;
                case 4 -> "UPDATE tb_post SET category = 'c" + (1 + r.nextInt(6)) + "', created = " + r.nextInt(300) + " WHERE pk_post = " + post;
                case 5 -> "INSERT INTO tb_post (pk_post, fk_author, title, category, created) VALUES (" + nextPost++ + ", " + user
                        + ", 'new " + i + "', 'c1', " + r.nextInt(300) + ")";
                case 6 -> "DELETE FROM tb_post WHERE pk_post = (SELECT max(pk_post) FROM tb_post WHERE pk_post >= 10000)";
                case 7, 8 -> "INSERT INTO tb_comment VALUES (" + nextComment++ + ", (SELECT pk_post FROM tb_post ORDER BY pk_post OFFSET "
                        + r.nextInt(60) + " LIMIT 1), " + user + ", 'c " + i + "', " + r.nextInt(400) + ")";
                case 9 -> "UPDATE tb_comment SET body = 'edited " + i + "', created = " + r.nextInt(400)
                        + " WHERE pk_comment = (SELECT pk_comment FROM tb_comment ORDER BY pk_comment OFFSET " + r.nextInt(150) + " LIMIT 1)";
                case 10 -> "UPDATE tb_comment SET fk_post = " + post + " WHERE pk_comment = (SELECT pk_comment FROM tb_comment"
                        + " ORDER BY pk_comment OFFSET " + r.nextInt(150) + " LIMIT 1) AND EXISTS (SELECT 1 FROM tb_post WHERE pk_post = " + post + ")";
                case 11 -> "DELETE FROM tb_comment WHERE pk_comment = (SELECT pk_comment FROM tb_comment ORDER BY pk_comment OFFSET "
                        + r.nextInt(150) + " LIMIT 1)";
                case 12 -> "INSERT INTO tb_follow VALUES (" + user + ", " + (1 + r.nextInt(30)) + ") ON CONFLICT DO NOTHING";
                case 13 -> "DELETE FROM tb_follow WHERE (fk_follower, fk_followee) = (SELECT fk_follower, fk_followee FROM tb_follow"
                        + " ORDER BY 1, 2 OFFSET " + r.nextInt(40) + " LIMIT 1)";
                // a new key: on a partitioned tb_comment the row moves to the other partition
                case 15 -> "UPDATE tb_comment SET pk_comment = " + (200_000 + idBase + i) + " WHERE pk_comment = (SELECT pk_comment FROM tb_comment"
                        + " WHERE pk_comment < 150 ORDER BY pk_comment OFFSET " + r.nextInt(20) + " LIMIT 1)";
                case 14 -> "UPDATE tb_category SET label = 'label " + i + "' WHERE code = 'c" + (1 + r.nextInt(6)) + "'";
                default -> "UPDATE tb_photo SET caption = 'caption " + i + "', fk_owner = " + user + " WHERE pk_photo = " + (1 + r.nextInt(40));
            };
            try {
                exec(c, sql);
                done++;
            } catch (SQLException e) {
                if (idBase == 0 || !"40P01".equals(e.getSQLState()) && !"40001".equals(e.getSQLState())) {
                    throw e;
                }
            }
        }
        return done;
    }

    /**
     * Trigger mode under concurrent writers: writers lock by value instead of one global lock, so what they lock must
     * cover every document their change reaches (links created by another open transaction included). After four
     * writers, every tview that was not refused equals its view, with no wait for any daemon.
     */
    @Test
    void randomViewShapes_inTriggerModeWithConcurrentWriters_eachTviewEqualsItsView() throws Exception {
        int seeds = Math.max(1, Integer.getInteger("lineage.seeds", DEFAULT_SEEDS) - 1);
        long first = Long.getLong("lineage.seed", 1L) + 100;
        for (long seed = first; seed < first + seeds; seed++) {
            DatabaseConfig db = TestDatabase.get().createDatabase("lineage_trg_" + seed);
            Map<String, Generated> byTview = new LinkedHashMap<>();
            try (Connection c = session(db)) {
                exec(c, schema(seed));
                for (Generated g : generate(seed)) {
                    exec(c, "CREATE VIEW v_" + g.name() + " AS " + g.sql());
                    exec(c, "CREATE TABLE tv_" + g.name() + " (id uuid PRIMARY KEY, data jsonb NOT NULL)");
                    byTview.put("public.tv_" + g.name(), g);
                }
            }
            java.util.Set<String> refused;
            try (Daemon daemon = Daemons.started(Configs.forDatabase(db, "TVIEWD_CDC_SLOT_NAME", "lineage_trg_" + seed,
                    "TVIEWD_REFRESH_DEFAULT_MODE", "trigger"))) {
                refused = new java.util.HashSet<>(daemon.refused().keySet());
            }
            long s = seed;
            List<java.util.concurrent.CompletableFuture<Integer>> writers = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                int writer = w;
                writers.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try (Connection c = session(db)) {
                        return workload(c, new Random(s * 31 + writer), 150, (writer + 1) * 1_000_000);
                    } catch (SQLException e) {
                        throw new IllegalStateException("seed " + s + ", writer " + writer + ": " + e.getMessage(), e);
                    }
                }));
            }
            int statements = 0;
            for (var f : writers) {
                statements += f.get(120, java.util.concurrent.TimeUnit.SECONDS);
            }
            Map<String, List<String>> drift = new LinkedHashMap<>();
            try (Connection c = new PostgresSessions(db).open("test-compare")) {
                for (Tview t : Tviews.discover(db)) {
                    if (!refused.contains(t.table().toString())) {
                        TviewComparison.Drift d = TviewComparison.compare(c, t, 5);
                        if (!d.none()) {
                            drift.put(t.name() + ": " + byTview.get(t.table().toString()).sql(), new ArrayList<>(d.keys()));
                        }
                    }
                }
            }
            assertThat(drift).as("seed %d, %d statements by 4 trigger-mode writers: tviews differing from their views", seed, statements).isEmpty();
        }
    }

    @Test
    void randomViewShapes_eachTviewEqualsItsViewOrIsRefusedNamingTheUse() throws Exception {
        int seeds = Integer.getInteger("lineage.seeds", DEFAULT_SEEDS);
        long first = Long.getLong("lineage.seed", 1L);
        for (long seed = first; seed < first + seeds; seed++) {
            runSeed(seed);
        }
    }

    /**
     * customer → orders → items → products → tags: the tag's chain to the customer is five equalities long, through a
     * nested tview (products) and its own source view; each use maps, and renaming a tag reaches the customer.
     */
    @Test
    void deepNesting_fiveEqualitiesThroughANestedTview_mapsAndStaysExact() throws Exception {
        DatabaseConfig db = TestDatabase.get().createDatabase("lineage_deep");
        try (Connection c = session(db)) {
            exec(c, DEEP_SCHEMA);
        }
        try (Daemon daemon = Daemons.started(Configs.forDatabase(db, "TVIEWD_CDC_SLOT_NAME", "lineage_deep"));
             Connection c = session(db)) {
            assertThat(daemon.refused()).isEmpty();
            assertThat(daemon.pipeline().status().get("tv_customer").toJson().encode()).contains("tb_tag");
            deepWorkload(c, new Random(7));
            Tviews.awaitConverged(db, Duration.ofSeconds(60), "deep nesting, seed 7");
            // both are cdc, so the stream maps by level: tag, link and product changes reach tv_customer only as the row
            // changes they made to tv_product, carried on in the same transaction; none maps to a customer itself
            var outer = daemon.pipeline().status().get("tv_customer");
            assertThat(outer.plan().byLevel()).isTrue();
            assertThat(outer.plan().levelMappings().keySet().stream().map(Object::toString))
                    .containsExactlyInAnyOrder("public.tb_customer", "public.tb_order", "public.tb_item");
            Map<String, Long> mapped = new LinkedHashMap<>();
            outer.toJson().getJsonArray("baseTables").forEach(b -> mapped.put(((io.vertx.core.json.JsonObject) b).getString("table"),
                    ((io.vertx.core.json.JsonObject) b).getLong("keysMapped")));
            assertThat(mapped).containsEntry("public.tb_tag", 0L).containsEntry("public.tb_product_tag", 0L)
                    .containsEntry("public.tb_product", 0L);
            assertThat(mapped.get("public.tb_item")).isPositive();
            assertThat(outer.toJson().getBoolean("mapsByLevel")).isTrue();
            assertThat(outer.toJson().getJsonArray("tviewsRead").encode()).contains("public.tv_product").contains("multi-hop");
        }
        // trigger mode by level: tv_customer's triggers go on the tables its view reads itself and on tv_product, whose
        // rows the product's own triggers write; none on the tables below tv_product
        DatabaseConfig trg = TestDatabase.get().createDatabase("lineage_deep_trg");
        try (Connection c = session(trg)) {
            exec(c, DEEP_SCHEMA);
        }
        try (Daemon daemon = Daemons.started(Configs.forDatabase(trg, "TVIEWD_CDC_SLOT_NAME", "lineage_deep_trg",
                "TVIEWD_REFRESH_DEFAULT_MODE", "trigger")); Connection c = session(trg)) {
            assertThat(daemon.refused()).isEmpty();
            var outer = daemon.pipeline().status().get("tv_customer").plan().tview();
            List<String> tables = io.tviewd.connectors.postgres.triggers.TriggerInstaller.installed(c, outer).stream()
                    .map(t -> t.substring(0, t.indexOf(':'))).distinct().sorted().toList();
            assertThat(tables).containsExactly("public.tb_customer", "public.tb_item", "public.tb_order", "public.tv_product");
            deepWorkload(c, new Random(8));
            // trigger mode refreshes in the writer's transaction: equal at once, no daemon to wait for
            Tviews.awaitConverged(trg, Duration.ofSeconds(1), "deep nesting in trigger mode, seed 8");
        }
    }

    private static void deepWorkload(Connection c, Random r) throws SQLException {
        for (int i = 0; i < 150; i++) {
            exec(c, switch (r.nextInt(6)) {
                case 0 -> "UPDATE tb_tag SET label = 'tag " + i + "' WHERE pk = " + (1 + r.nextInt(6));
                case 1 -> "INSERT INTO tb_product_tag VALUES (" + (1 + r.nextInt(12)) + ", " + (1 + r.nextInt(6)) + ") ON CONFLICT DO NOTHING";
                case 2 -> "DELETE FROM tb_product_tag WHERE (fk_product, fk_tag) = (SELECT fk_product, fk_tag FROM tb_product_tag"
                        + " ORDER BY 1, 2 OFFSET " + r.nextInt(10) + " LIMIT 1)";
                case 3 -> "UPDATE tb_item SET fk_product = " + (1 + r.nextInt(12)) + ", qty = " + i + " WHERE pk = " + (1 + r.nextInt(80));
                case 4 -> "UPDATE tb_order SET fk_customer = " + (1 + r.nextInt(10)) + " WHERE pk = " + (1 + r.nextInt(30));
                default -> "UPDATE tb_product SET name = 'product " + i + "' WHERE pk = " + (1 + r.nextInt(12));
            });
        }
    }

    /**
     * A FULL JOIN of a table with itself in a second role, inside a derived table: {@code c2.code = c1.code} holds where
     * both sides have a row, and only such rows reach a post (c1's side carries the code the post joins on), so both uses
     * map. The tview is accepted and stays exact under random category and post changes.
     */
    @Test
    void fullJoinOfTwoRoles_isProvenBothWays_andStaysExact() throws Exception {
        DatabaseConfig db = TestDatabase.get().createDatabase("lineage_full_join");
        try (Connection c = session(db)) {
            exec(c, """
                    CREATE TABLE tb_cat (pk bigint PRIMARY KEY, code text NOT NULL, label text NOT NULL);
                    CREATE TABLE tb_item (pk bigint PRIMARY KEY, id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(), code text NOT NULL);
                    ALTER TABLE tb_cat REPLICA IDENTITY FULL; ALTER TABLE tb_item REPLICA IDENTITY FULL;
                    CREATE VIEW v_item AS SELECT i.id, jsonb_build_object('code', i.code, 'others',
                        (SELECT jsonb_agg(fj.label ORDER BY fj.label) FROM (SELECT c1.code, c2.label FROM tb_cat c1
                             FULL JOIN tb_cat c2 ON c2.code = c1.code AND c2.pk <> c1.pk) fj WHERE fj.code = i.code)) AS data
                        FROM tb_item i;
                    CREATE TABLE tv_item (id uuid PRIMARY KEY, data jsonb NOT NULL);
                    INSERT INTO tb_cat SELECT g, 'c' || (g % 5), 'label ' || g FROM generate_series(1, 12) g;
                    INSERT INTO tb_item (pk, code) SELECT g, 'c' || (g % 7) FROM generate_series(1, 40) g;
                    """);
        }
        try (Daemon daemon = Daemons.started(Configs.forDatabase(db, "TVIEWD_CDC_SLOT_NAME", "lineage_full_join"));
             Connection c = session(db)) {
            assertThat(daemon.refused()).isEmpty();
            assertThat(daemon.pipeline().status().get("tv_item").plan().lineage())
                    .anyMatch(l -> l.startsWith("public.tb_cat AS c2") && l.contains("→ key"))
                    .anyMatch(l -> l.startsWith("public.tb_cat AS c1") && l.contains("→ key"));
            Random r = new Random(5);
            for (int i = 0; i < 120; i++) {
                exec(c, switch (r.nextInt(5)) {
                    case 0 -> "UPDATE tb_cat SET label = 'l" + i + "' WHERE pk = " + (1 + r.nextInt(14));
                    case 1 -> "UPDATE tb_cat SET code = 'c" + r.nextInt(7) + "' WHERE pk = " + (1 + r.nextInt(14));
                    case 2 -> "INSERT INTO tb_cat VALUES (" + (13 + r.nextInt(2)) + ", 'c" + r.nextInt(7) + "', 'new " + i
                            + "') ON CONFLICT (pk) DO UPDATE SET code = EXCLUDED.code";
                    case 3 -> "DELETE FROM tb_cat WHERE pk = " + (1 + r.nextInt(14));
                    default -> "UPDATE tb_item SET code = 'c" + r.nextInt(7) + "' WHERE pk = " + (1 + r.nextInt(40));
                });
            }
            Tviews.awaitConverged(db, Duration.ofSeconds(60), "full join of two roles, seed 5");
        }
    }

    /**
     * A carried refresh that commits part of its work (more keys than {@code refresh.max-keys-per-statement}) and then
     * fails: the outer tview's keys came from the rows the committed part changed, which a retry finds fresh already. The
     * outer is recorded as owed before that commit, so the running pipeline pays it after the retry, and a restart after
     * an interrupted call pays it too.
     */
    @Test
    void carriedRefreshInterruptedAfterAPartialCommit_owesTheOuterTview_andConverges() throws Exception {
        DatabaseConfig db = TestDatabase.get().createDatabase("lineage_interrupted");
        try (Connection c = session(db)) {
            exec(c, DEEP_SCHEMA);
        }
        String[] env = {"TVIEWD_CDC_SLOT_NAME", "lineage_interrupted", "TVIEWD_REFRESH_MAX_KEYS_PER_STATEMENT", "2"};
        // the first refresh of tv_customer after this fails with a serialization failure, which a refresher retries
        String failOnce = """
                CREATE SEQUENCE IF NOT EXISTS public.fail_once;
                SELECT setval('public.fail_once', 1, false);
                CREATE OR REPLACE FUNCTION public.fail_once() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF nextval('public.fail_once') = 1 THEN RAISE EXCEPTION 'injected failure' USING ERRCODE = '40001'; END IF;
                    RETURN NULL;
                END $$;
                DROP TRIGGER IF EXISTS fail_once ON tv_customer;
                CREATE TRIGGER fail_once AFTER INSERT OR UPDATE OR DELETE ON tv_customer FOR EACH STATEMENT EXECUTE FUNCTION public.fail_once();
                """;
        try (Daemon daemon = Daemons.started(Configs.forDatabase(db, env)); Connection c = session(db)) {
            assertThat(daemon.pipeline().status().get("tv_customer").plan().byLevel()).isTrue();
            exec(c, failOnce);
            exec(c, "UPDATE tb_product SET name = name || ' (renamed)'");
            Tviews.awaitConverged(db, Duration.ofSeconds(60), "after an interrupted carried refresh");
            assertThat(io.tviewd.daemon.support.Sql.text(c, "SELECT last_value::text FROM public.fail_once")).isNotEqualTo("1");
            await().atMost(Duration.ofSeconds(30)).until(() -> daemon.pipeline().status().get("tv_customer").fullRefreshes() > 0);
            await().atMost(Duration.ofSeconds(30)).until(() -> "0".equals(io.tviewd.daemon.support.Sql.text(c,
                    "SELECT count(*)::text FROM tviewd.owed_refresh")));
        }
        // a call interrupted the same way while no daemon runs: the debt is stored, and the next start pays it
        List<io.tviewd.connectors.postgres.plan.RefreshPlan> plans;
        io.tviewd.config.RefreshConfig refreshConfig;
        try (Daemon daemon = Daemons.started(Configs.forDatabase(db, env))) {
            plans = daemon.pipeline().plans();
            refreshConfig = daemon.config().refresh();
        }
        Tview inner = plans.stream().map(io.tviewd.connectors.postgres.plan.RefreshPlan::tview)
                .filter(t -> t.name().equals("tv_product")).findFirst().orElseThrow();
        try (Connection c = session(db); var refresher = new io.tviewd.connectors.postgres.refresh.Refresher(new PostgresSessions(db),
                refreshConfig, new io.tviewd.connectors.postgres.refresh.Readers(plans))) {
            exec(c, failOnce);
            exec(c, "UPDATE tb_product SET name = name || ' again'");
            java.util.Set<String> keys = new java.util.LinkedHashSet<>(List.of(io.tviewd.daemon.support.Sql.text(c,
                    "SELECT string_agg(id::text, ',') FROM tb_product").split(",")));
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> refresher.refresh(List.of(
                    io.tviewd.connectors.postgres.refresh.RefreshRequest.keys(inner, keys,
                            io.tviewd.connectors.postgres.refresh.RefreshCause.of("manual")))))
                    .isInstanceOf(SQLException.class).hasMessageContaining("injected failure");
            assertThat(refresher.takeInterruptedWithDebts()).isTrue();
            assertThat(io.tviewd.daemon.support.Sql.text(c, "SELECT string_agg(tview || ': ' || reason, '; ') FROM tviewd.owed_refresh"))
                    .isEqualTo("public.tv_customer: " + io.tviewd.connectors.postgres.refresh.Refresher.INTERRUPTED);
        }
        try (Daemon daemon = Daemons.started(Configs.forDatabase(db, env)); Connection c = session(db)) {
            Tviews.awaitConverged(db, Duration.ofSeconds(60), "after a restart that found an interrupted carried refresh");
            await().atMost(Duration.ofSeconds(30)).until(() -> "0".equals(io.tviewd.daemon.support.Sql.text(c,
                    "SELECT count(*)::text FROM tviewd.owed_refresh")));
        }
    }

    /**
     * A range-partitioned table (changes are published under the partitioned table's name), a table whose replica
     * identity is a unique index (its old images carry those columns only), keys and join values of many types, and a
     * table without any replica identity, which is refused: publishing it would fail its writers' updates.
     */
    @Test
    void partitionsIdentityIndexesAndKeyTypes_mapExactly_andATableWithoutIdentityIsRefused() throws Exception {
        DatabaseConfig db = TestDatabase.get().createDatabase("lineage_types");
        try (Connection c = session(db)) {
            exec(c, """
                    CREATE TABLE tb_day (d date PRIMARY KEY, label text NOT NULL);
                    CREATE TABLE tb_reading (pk bigint, taken date NOT NULL, at timestamptz NOT NULL, amount numeric(12,3) NOT NULL,
                                             tag bytea NOT NULL, PRIMARY KEY (pk, taken)) PARTITION BY RANGE (taken);
                    CREATE TABLE tb_reading_2026a PARTITION OF tb_reading FOR VALUES FROM ('2026-01-01') TO ('2026-07-01');
                    CREATE TABLE tb_reading_2026b PARTITION OF tb_reading FOR VALUES FROM ('2026-07-01') TO ('2027-01-01');
                    ALTER TABLE tb_reading REPLICA IDENTITY FULL;
                    ALTER TABLE tb_reading_2026a REPLICA IDENTITY FULL; ALTER TABLE tb_reading_2026b REPLICA IDENTITY FULL;
                    CREATE TABLE tb_note (pk bigint PRIMARY KEY, day date NOT NULL, body text NOT NULL);
                    CREATE UNIQUE INDEX tb_note_ident ON tb_note (day, pk);
                    ALTER TABLE tb_note REPLICA IDENTITY USING INDEX tb_note_ident;
                    CREATE VIEW va_day AS SELECT d.d, d.label,
                        (SELECT count(*) FROM tb_reading r WHERE r.taken = d.d) AS readings,
                        (SELECT sum(r.amount) FROM tb_reading r WHERE r.taken = d.d) AS total,
                        (SELECT max(r.at) FROM tb_reading r WHERE r.taken = d.d) AS last_at,
                        (SELECT string_agg(encode(r.tag, 'hex'), ',' ORDER BY r.pk) FROM tb_reading r WHERE r.taken = d.d) AS tags,
                        (SELECT count(*) FROM tb_note n WHERE n.day = d.d) AS notes
                        FROM tb_day d;
                    CREATE TABLE ta_day (d date PRIMARY KEY, label text, readings bigint, total numeric, last_at timestamptz,
                                         tags text, notes bigint);
                    -- FULL on the partitioned table is not inherited: one leaf still logs only its key
                    CREATE TABLE tb_sample (pk bigint, taken date NOT NULL, day_ref date NOT NULL, v int NOT NULL,
                                            PRIMARY KEY (pk, taken)) PARTITION BY RANGE (taken);
                    CREATE TABLE tb_sample_a PARTITION OF tb_sample FOR VALUES FROM ('2026-01-01') TO ('2026-07-01');
                    CREATE TABLE tb_sample_b PARTITION OF tb_sample FOR VALUES FROM ('2026-07-01') TO ('2027-01-01');
                    ALTER TABLE tb_sample REPLICA IDENTITY FULL; ALTER TABLE tb_sample_a REPLICA IDENTITY FULL;
                    CREATE VIEW va_sample_day AS SELECT d.d, (SELECT sum(s.v) FROM tb_sample s WHERE s.day_ref = d.d) AS total FROM tb_day d;
                    CREATE TABLE ta_sample_day (d date PRIMARY KEY, total bigint);
                    CREATE TABLE tb_loose (code text NOT NULL, value text NOT NULL);
                    CREATE VIEW v_loose AS SELECT d.d AS id, (SELECT min(l.value) FROM tb_loose l WHERE l.code = d.label) AS data FROM tb_day d;
                    CREATE TABLE tv_loose (id date PRIMARY KEY, data text);
                    INSERT INTO tb_day SELECT DATE '2026-01-01' + g, 'day ' || g FROM generate_series(0, 364) g;
                    INSERT INTO tb_reading SELECT g, DATE '2026-01-01' + (g % 365), TIMESTAMPTZ '2026-01-01 00:00:00.123456+00' + g * INTERVAL '1 minute',
                        g * 1.125, decode(lpad(to_hex(g), 6, '0'), 'hex') FROM generate_series(1, 2000) g;
                    INSERT INTO tb_note SELECT g, DATE '2026-01-01' + (g % 365), 'note ' || g FROM generate_series(1, 500) g;
                    """);
        }
        try (Daemon daemon = Daemons.started(Configs.forDatabase(db, "TVIEWD_CDC_SLOT_NAME", "lineage_types"));
             Connection c = session(db)) {
            assertThat(daemon.refused().get("public.tv_loose"))
                    .contains("base table public.tb_loose has REPLICA IDENTITY DEFAULT and no primary key")
                    .contains("every UPDATE and DELETE on it would fail for its writers");
            assertThat(daemon.refused()).doesNotContainKey("public.ta_day");
            assertThat(daemon.refused().get("public.ta_sample_day"))
                    .contains("reads public.tb_sample.day_ref from the old row image, but public.tb_sample has REPLICA IDENTITY that "
                            + "differs between its partitions (old images carry only [pk, taken])")
                    .contains("ALTER TABLE \"public\".\"tb_sample_b\" REPLICA IDENTITY FULL;");
            // the leaves' changes arrive under the partitioned table's name, the one the view reads
            assertThat(io.tviewd.daemon.support.Sql.text(c, "SELECT string_agg(tablename, ',' ORDER BY tablename)"
                    + " FROM pg_publication_tables WHERE pubname = 'tviewd' AND tablename LIKE 'tb_reading%'")).isEqualTo("tb_reading");
            exec(c, "UPDATE tb_loose SET value = 'still writable'");
            Random r = new Random(11);
            for (int i = 0; i < 200; i++) {
                String day = "DATE '2026-01-01' + " + r.nextInt(365);
                exec(c, switch (r.nextInt(6)) {
                    case 0 -> "INSERT INTO tb_reading VALUES (" + (5000 + i) + ", " + day + ", now(), " + r.nextInt(1000) + ".5, '\\x0a0b')";
                    case 1 -> "UPDATE tb_reading SET amount = amount + 0.001, at = at + INTERVAL '1 microsecond' WHERE pk = " + (1 + r.nextInt(2000));
                    // moves a row to another partition: a delete from one leaf and an insert into the other
                    case 2 -> "UPDATE tb_reading SET taken = " + day + " WHERE pk = " + (1 + r.nextInt(2000));
                    case 3 -> "DELETE FROM tb_reading WHERE pk = " + (1 + r.nextInt(2000));
                    case 4 -> "UPDATE tb_note SET day = " + day + " WHERE pk = " + (1 + r.nextInt(500));
                    default -> "DELETE FROM tb_note WHERE pk = " + (1 + r.nextInt(500));
                });
            }
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() -> {
                try (Connection s = new PostgresSessions(db).open("test-compare")) {
                    Tview day = Tviews.discover(db).stream().filter(t -> t.name().equals("ta_day")).findFirst().orElseThrow();
                    return TviewComparison.compare(s, day, 5).none();
                }
            });
            // converged by keyed refreshes, not by recovering from a quarantine (date mapping values round-trip)
            assertThat(daemon.pipeline().status().get("ta_day").toJson().getJsonObject("counters").getLong("failures")).isZero();
        }
    }

    /**
     * An inner tview refreshed outside the change stream (manual mode, then scheduled) carries its change on to the
     * outer tview that embeds it: no base-table change of the outer's would.
     */
    @Test
    void innerTviewRefreshedManuallyOrOnSchedule_refreshesTheOuterTviewThatReadsIt() throws Exception {
        DatabaseConfig db = TestDatabase.get().createDatabase("lineage_nested_modes");
        try (Connection c = session(db)) {
            exec(c, DEEP_SCHEMA);
        }
        var manual = io.tviewd.config.ConfigLoader.loadYaml("""
                tviews:
                  - table: tv_product
                    mode: manual
                """, Configs.env(db, "TVIEWD_CDC_SLOT_NAME", "lineage_nested_modes"));
        try (Daemon daemon = Daemons.started(manual); Connection c = session(db)) {
            exec(c, "UPDATE tb_product SET name = 'renamed by hand' WHERE pk = 1");
            var plan = daemon.pipeline().status().get("tv_product").plan();
            var r = io.tviewd.daemon.pipeline.TviewMaintenance.refresh(daemon.sessions(), daemon.config().refresh(), plan, null,
                    daemon.pipeline().plans());
            assertThat(r.written()).isPositive();
            assertThat(io.tviewd.daemon.support.Sql.text(c, "SELECT count(*)::text FROM tv_customer WHERE data::text LIKE '%renamed by hand%'"))
                    .isEqualTo(io.tviewd.daemon.support.Sql.text(c, "SELECT count(*)::text FROM v_customer WHERE data::text LIKE '%renamed by hand%'"))
                    .isNotEqualTo("0");
            // the outer maps the inner's own rows (tv_product read as a table), so a refresh of some products carries
            // only their customers on, in the same call; a random run of such refreshes leaves both equal to their views
            var outer = daemon.pipeline().status().get("tv_customer").plan();
            assertThat(outer.tviewMappings()).containsOnlyKeys(plan.tview().table());
            assertThat(outer.lineage()).anyMatch(line -> line.startsWith("tview public.tv_product AS tp") && line.contains("multi-hop"));
            Random rnd = new Random(11);
            var readers = new io.tviewd.connectors.postgres.refresh.Readers(daemon.pipeline().plans());
            try (var refresher = new io.tviewd.connectors.postgres.refresh.Refresher(daemon.sessions(), daemon.config().refresh(), readers)) {
                for (int i = 0; i < 30; i++) {
                    int product = 1 + rnd.nextInt(12);
                    int change = rnd.nextInt(3);
                    exec(c, switch (change) {
                        case 0 -> "UPDATE tb_product SET name = 'hand " + i + "' WHERE pk = " + product;
                        case 1 -> "UPDATE tb_tag SET label = 'hand tag " + i + "' WHERE pk = " + (1 + rnd.nextInt(6));
                        default -> "INSERT INTO tb_product_tag VALUES (" + product + ", " + (1 + rnd.nextInt(6)) + ") ON CONFLICT DO NOTHING";
                    });
                    // a tag can be on any product: refreshing the one product by key would leave the manual tview stale
                    var request = change == 1 || rnd.nextBoolean()
                            ? io.tviewd.daemon.pipeline.TviewMaintenance.request(plan, null)
                            : io.tviewd.connectors.postgres.refresh.RefreshRequest.keys(plan.tview(), java.util.Set.of(
                                    io.tviewd.daemon.support.Sql.text(c, "SELECT id::text FROM tb_product WHERE pk = " + product)),
                                    io.tviewd.connectors.postgres.refresh.RefreshCause.of("manual"));
                    var results = refresher.refresh(java.util.List.of(request));
                    assertThat(results).allMatch(res -> !res.failed());
                    long buyers = Long.parseLong(io.tviewd.daemon.support.Sql.text(c, "SELECT count(DISTINCT o.fk_customer)::text "
                            + "FROM tb_item i JOIN tb_order o ON o.pk = i.fk_order WHERE i.fk_product = " + product));
                    if (results.get(0).written() > 0 && !request.full() && buyers > 0) {
                        // exactly that product's customers, recomputed by key: never the whole outer tview
                        assertThat(results).hasSize(2);
                        assertThat(results.get(1).tview().table()).isEqualTo(outer.tview().table());
                        assertThat(results.get(1).keys()).as("customers who bought product %d", product).isEqualTo(buyers);
                    }
                    assertThat(io.tviewd.daemon.support.Sql.text(c, "SELECT count(*)::text FROM (SELECT * FROM v_product EXCEPT "
                            + "SELECT * FROM tv_product) d")).as("tv_product after manual refresh %d", i).isEqualTo("0");
                    assertThat(io.tviewd.daemon.support.Sql.text(c, "SELECT count(*)::text FROM ((SELECT id, data::text FROM v_customer EXCEPT "
                            + "SELECT id, data::text FROM tv_customer) UNION ALL (SELECT id, data::text FROM tv_customer EXCEPT "
                            + "SELECT id, data::text FROM v_customer)) d")).as("tv_customer after manual refresh %d of tv_product", i)
                            .isEqualTo("0");
                }
            }
        }
        // a new database: the mode a tview runs in is persisted, and changing it is a cutover
        DatabaseConfig db2 = TestDatabase.get().createDatabase("lineage_nested_sched");
        try (Connection c = session(db2)) {
            exec(c, DEEP_SCHEMA);
        }
        var scheduled = io.tviewd.config.ConfigLoader.loadYaml("""
                tviews:
                  - table: tv_product
                    mode: scheduled
                    schedule: 500ms
                """, Configs.env(db2, "TVIEWD_CDC_SLOT_NAME", "lineage_nested_sched"));
        try (Daemon daemon = Daemons.started(scheduled); Connection c = session(db2)) {
            exec(c, "UPDATE tb_product SET name = 'renamed on schedule' WHERE pk = 2");
            await().atMost(Duration.ofSeconds(30)).until(() -> !"0".equals(io.tviewd.daemon.support.Sql.text(c,
                    "SELECT count(*)::text FROM tv_customer WHERE data::text LIKE '%renamed on schedule%'")));
            Tviews.awaitConverged(db2, Duration.ofSeconds(30), "nested tviews, inner scheduled");
        }
    }

    private void runSeed(long seed) throws Exception {
        DatabaseConfig db = TestDatabase.get().createDatabase("lineage_" + seed);
        List<Generated> views = generate(seed);
        Map<String, Generated> byTview = new LinkedHashMap<>();
        try (Connection c = session(db)) {
            exec(c, schema(seed));
            for (Generated g : views) {
                exec(c, "CREATE VIEW v_" + g.name() + " AS " + g.sql());
                exec(c, "CREATE TABLE tv_" + g.name() + " (id uuid PRIMARY KEY, data jsonb NOT NULL)");
                byTview.put("public.tv_" + g.name(), g);
            }
        }
        try (Daemon daemon = Daemons.started(Configs.forDatabase(db, "TVIEWD_CDC_SLOT_NAME", "lineage_" + seed));
             Connection c = session(db)) {
            for (Map.Entry<String, Generated> e : byTview.entrySet()) {
                String why = daemon.refused().get(e.getKey());
                Generated g = e.getValue();
                String context = "seed " + seed + ", view " + g.name() + ": " + g.sql();
                if (g.mappable()) {
                    assertThat(why).as("refused although every use is provable (" + context + ")").isNull();
                } else {
                    assertThat(why).as("an unprovable use was accepted (" + context + ")").isNotNull()
                            .contains("cannot be kept fresh");
                }
            }
            Random r = new Random(seed * 31);
            int statements = workload(c, r, 300);
            awaitConverged(db, byTview, daemon, "seed " + seed + ", " + statements + " statements");
        }
    }

    /** Waits until every tview that was not refused equals its view; on timeout names the keys and prints every view. */
    private static void awaitConverged(DatabaseConfig db, Map<String, Generated> views, Daemon daemon, String context)
            throws SQLException {
        Map<String, List<String>> last = new LinkedHashMap<>();
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() -> {
                last.clear();
                try (Connection c = new PostgresSessions(db).open("test-compare")) {
                    for (Tview t : Tviews.discover(db)) {
                        if (!daemon.refused().containsKey(t.table().toString())) {
                            TviewComparison.Drift d = TviewComparison.compare(c, t, 5);
                            if (!d.none()) {
                                last.put(t.name(), new ArrayList<>(d.keys()));
                            }
                        }
                    }
                }
                return last.isEmpty();
            });
        } catch (ConditionTimeoutException e) {
            StringBuilder sb = new StringBuilder("tviews still differ from their views (" + context + "): " + last + "\nviews:");
            views.forEach((t, g) -> sb.append("\n  ").append(t).append(daemon.refused().containsKey(t) ? " (refused)" : "")
                    .append(": ").append(g.sql()));
            throw new AssertionError(sb.toString(), e);
        }
    }
}
