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

    /**
     * Fills every tview from its view, as a daemon's first start would: a test that must see only its own
     * workload's changes (a consumer that cannot replay, like the event bus) starts from populated tviews.
     */
    public static void populate(DatabaseConfig db) throws Exception {
        try (Connection c = Sql.session(db)) {
            for (io.tviewd.connectors.postgres.catalog.Tview t : Tviews.discover(db)) {
                String cols = t.columns().stream().map(io.tviewd.connectors.TableName::quote).collect(java.util.stream.Collectors.joining(", "));
                Sql.exec(c, "INSERT INTO " + t.table().quoted() + " (" + cols + ") SELECT " + cols + " FROM " + t.sourceView().quoted());
            }
        }
    }
}
