package io.tviewd.daemon.demo;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;

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
        SqlScripts.run(c, "/demo/blog-schema.sql", Map.of());
    }

    /** Inserts sample rows; tviews are left empty (the daemon reconciles them at first start). */
    public static void fill(Connection c, int users, int posts, int comments) throws SQLException {
        SqlScripts.run(c, "/demo/blog-data.sql", Map.of("users", Integer.toString(users), "posts", Integer.toString(posts),
                "comments", Integer.toString(comments)));
    }
}
