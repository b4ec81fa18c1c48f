package io.tviewd.daemon.support;

import java.sql.Connection;

import io.tviewd.config.DatabaseConfig;
import io.tviewd.daemon.demo.BlogSchema;

/** A fresh database on the shared test server holding the demo's blog schema and sample rows. */
public final class BlogDatabase {

    private BlogDatabase() {
    }

    public static DatabaseConfig create(String prefix, int users, int posts, int comments) throws Exception {
        DatabaseConfig db = TestDatabase.get().createDatabase(prefix);
        try (Connection c = Sql.session(db)) {
            BlogSchema.create(c);
            BlogSchema.fill(c, users, posts, comments);
        }
        return db;
    }
}
