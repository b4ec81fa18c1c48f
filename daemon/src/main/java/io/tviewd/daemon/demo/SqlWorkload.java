package io.tviewd.daemon.demo;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A random stream of writes: each step runs one operation picked by weight. Operation choice is
 * seeded; the rows each operation picks are chosen by SQL {@code random()} seeded per connection,
 * so a single writer replays the same workload. {@link #blog} writes the demo's blog tables:
 * inserts, updates (including moving comments and posts to another parent), deletes, renames of
 * users that many documents embed, and multi-row statements.
 *
 * <p>One instance per writer thread; each owns its connection (autocommit).
 */
public final class SqlWorkload {

    /** An operation: a name, its SQL (one statement, one transaction) and relative weight. */
    public record Op(String name, String sql, int weight) {
    }

    private static final String PICK_USER =
            "(SELECT pk_user FROM tb_user WHERE pk_user >= (SELECT floor(random() * max(pk_user))::bigint FROM tb_user) ORDER BY pk_user LIMIT 1)";
    private static final String PICK_POST =
            "(SELECT pk_post FROM tb_post WHERE pk_post >= (SELECT floor(random() * max(pk_post))::bigint FROM tb_post) ORDER BY pk_post LIMIT 1)";
    private static final String PICK_COMMENT =
            "(SELECT pk_comment FROM tb_comment WHERE pk_comment >= (SELECT floor(random() * max(pk_comment))::bigint FROM tb_comment) ORDER BY pk_comment LIMIT 1)";

    /** The blog's operations. */
    public static final List<Op> BLOG = List.of(
            new Op("insert post", "INSERT INTO tb_post (identifier, fk_author, title, body) SELECT 'post-' || gen_random_uuid(), "
                    + PICK_USER + ", 'New post ' || md5(random()::text), 'body' WHERE EXISTS (SELECT 1 FROM tb_user)", 15),
            new Op("update post", "UPDATE tb_post SET title = 'Title ' || md5(random()::text), published = random() < 0.5, "
                    + "updated_at = now() WHERE pk_post = " + PICK_POST, 20),
            new Op("move post", "UPDATE tb_post SET fk_author = " + PICK_USER + ", updated_at = now() WHERE pk_post = " + PICK_POST, 4),
            new Op("insert comment", "INSERT INTO tb_comment (identifier, fk_post, fk_user, body) SELECT 'comment-' || gen_random_uuid(), "
                    + PICK_POST + ", " + PICK_USER + ", 'Comment ' || md5(random()::text) WHERE EXISTS (SELECT 1 FROM tb_post)", 18),
            new Op("insert comments (multi-row)", "INSERT INTO tb_comment (identifier, fk_post, fk_user, body) SELECT 'comment-' || gen_random_uuid(), p.pk_post, "
                    + PICK_USER + ", 'Thread ' || g FROM (SELECT " + PICK_POST + " AS pk_post) p, generate_series(1, 5) g "
                    + "WHERE p.pk_post IS NOT NULL", 3),
            new Op("update comment", "UPDATE tb_comment SET body = 'Edited ' || md5(random()::text) WHERE pk_comment = " + PICK_COMMENT, 10),
            new Op("move comment", "UPDATE tb_comment SET fk_post = " + PICK_POST + " WHERE pk_comment = " + PICK_COMMENT, 6),
            new Op("delete comment", "DELETE FROM tb_comment WHERE pk_comment = " + PICK_COMMENT, 8),
            new Op("delete post", "DELETE FROM tb_post WHERE pk_post = " + PICK_POST, 4),
            new Op("rename user", "UPDATE tb_user SET name = 'User ' || md5(random()::text), updated_at = now() WHERE pk_user = " + PICK_USER, 6),
            new Op("insert user", "INSERT INTO tb_user (identifier, name, email) SELECT 'user-' || u, 'User ' || u, u || '@example.com' "
                    + "FROM gen_random_uuid() u", 3),
            new Op("delete user", "DELETE FROM tb_user WHERE pk_user = " + PICK_USER + " AND (SELECT count(*) FROM tb_user) > 50", 1));

    private final List<Op> ops;
    private final Connection connection;
    private final Random random;
    private final List<PreparedStatement> statements = new ArrayList<>();
    private final int totalWeight;
    private final AtomicLong writes = new AtomicLong();

    /** A writer of the demo's blog workload. */
    public static SqlWorkload blog(Connection connection, long seed) throws SQLException {
        return new SqlWorkload(connection, seed, BLOG);
    }

    public SqlWorkload(Connection connection, long seed, List<Op> ops) throws SQLException {
        this.ops = List.copyOf(ops);
        this.connection = connection;
        this.random = new Random(seed);
        connection.setAutoCommit(true);
        try (Statement s = connection.createStatement()) {
            s.execute("SELECT setseed(" + (((seed % 1000) + 1000) % 1000) / 1000.0 + ")");
        }
        int w = 0;
        for (Op op : this.ops) {
            statements.add(connection.prepareStatement(op.sql()));
            w += op.weight();
        }
        totalWeight = w;
    }

    /**
     * True for errors concurrent writers cause by design: a row picked by one writer was just
     * deleted by another (integrity violations) or two cascades deadlocked.
     */
    public static boolean isExpectedConflict(SQLException e) {
        String state = e.getSQLState();
        return state != null && (state.startsWith("23") || state.equals("40P01") || state.equals("40001"));
    }

    /** Runs one random operation (one committed transaction). */
    public void step() throws SQLException {
        int r = random.nextInt(totalWeight);
        for (int i = 0; i < ops.size(); i++) {
            r -= ops.get(i).weight();
            if (r < 0) {
                statements.get(i).executeUpdate();
                writes.incrementAndGet();
                return;
            }
        }
    }

    /** Committed operations so far. */
    public long writes() {
        return writes.get();
    }

    public Connection connection() {
        return connection;
    }
}
