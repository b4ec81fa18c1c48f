package io.tviewd.daemon.bench;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;

import io.tviewd.daemon.demo.SqlScripts;

/**
 * The benchmark's blog at a scale: users, posts and comments (10,000 / 100,000 / 300,000 at scale 1),
 * user 1 the hot author of 5,000 posts, and a probe user and post that only the freshness probe writes.
 */
record Dataset(int users, int posts, int comments, int hotPosts) {

    static Dataset at(double scale) {
        int users = Math.max(10, (int) Math.round(10_000 * scale));
        int posts = Math.max(20, (int) Math.round(100_000 * scale));
        int comments = Math.max(30, (int) Math.round(300_000 * scale));
        int hot = Math.max(5, Math.min(posts / 2, (int) Math.round(5_000 * scale)));
        return new Dataset(users, posts, comments, hot);
    }

    /** pk_user of the probe's author, pk_post of the probe's post. */
    long probeUser() {
        return users + 1L;
    }

    long probePost() {
        return posts + 1L;
    }

    /** Creates the schema, loads the rows and fills tv_post from v_post (the daemon then finds it populated). */
    void create(Connection c) throws SQLException {
        SqlScripts.run(c, "/bench/blog-schema.sql", Map.of());
        SqlScripts.run(c, "/bench/blog-data.sql", Map.of("users", Integer.toString(users), "posts", Integer.toString(posts),
                "comments", Integer.toString(comments), "hot", Integer.toString(hotPosts)));
    }

    @Override
    public String toString() {
        return String.format("%,d users, %,d posts, %,d comments, hot author with %,d posts", users, posts, comments, hotPosts);
    }
}
