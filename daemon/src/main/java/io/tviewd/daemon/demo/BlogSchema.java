package io.tviewd.daemon.demo;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The demo's FraiseQL-style blog: tb_user, tb_post, tb_comment; v_user, v_post, va_post;
 * tv_user and tv_post (uuid {@code id}, {@code data jsonb}, {@code updated_at}); ta_post (flat, keyed by
 * bigint {@code pk_post}). Also used by the integration tests.
 */
public final class BlogSchema {

    private BlogSchema() {
    }

    /** Creates the schema objects (fails when they already exist). */
    public static void create(Connection c) throws SQLException {
        run(c, resource("/demo/blog-schema.sql"));
    }

    /** Inserts sample rows; tviews are left empty (the daemon reconciles them at first start). */
    public static void fill(Connection c, int users, int posts, int comments) throws SQLException {
        run(c, resource("/demo/blog-data.sql").replace(":users", Integer.toString(users))
                .replace(":posts", Integer.toString(posts)).replace(":comments", Integer.toString(comments)));
    }

    private static void run(Connection c, String script) throws SQLException {
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            s.execute(script);
            c.commit();
        } catch (SQLException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }
    }

    private static String resource(String path) {
        try (InputStream in = BlogSchema.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read resource " + path, e);
        }
    }
}
