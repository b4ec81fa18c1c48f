package io.tviewd.daemon.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.concurrent.ThreadLocalRandom;

/** The anchor workloads, one autocommit statement per write. */
enum Workload {
    /** Insert a comment on a random post by a random user. */
    W1("insert a comment"),
    /** Retitle a random post. */
    W2("retitle a post"),
    /** Rename a random user. */
    W3("rename a random user"),
    /** Rename the hot author (5,000 posts at scale 1). */
    W4("rename the hot author"),
    /** W1, W2, W3 in the ratio 4:4:2. */
    MIX("W1/W2/W3 4:4:2");

    final String description;

    Workload(String description) {
        this.description = description;
    }

    /** One writer's prepared statements for every workload. */
    static final class Session implements AutoCloseable {
        private final Connection c;
        private final Dataset data;
        private final PreparedStatement comment;
        private final PreparedStatement retitle;
        private final PreparedStatement rename;

        Session(Connection c, Dataset data) throws SQLException {
            this.c = c;
            this.data = data;
            c.setAutoCommit(true);
            comment = c.prepareStatement("INSERT INTO tb_comment (fk_post, fk_user, body) VALUES (?, ?, ?)");
            retitle = c.prepareStatement("UPDATE tb_post SET title = ? WHERE pk_post = ?");
            rename = c.prepareStatement("UPDATE tb_user SET name = ? WHERE pk_user = ?");
        }

        /** Runs one write of {@code w} (a MIX write picks W1, W2 or W3). */
        void write(Workload w) throws SQLException {
            ThreadLocalRandom r = ThreadLocalRandom.current();
            Workload one = w;
            if (w == MIX) {
                int p = r.nextInt(10);
                one = p < 4 ? W1 : p < 8 ? W2 : W3;
            }
            switch (one) {
                case W1 -> {
                    comment.setLong(1, 1 + r.nextInt(data.posts()));
                    comment.setLong(2, 1 + r.nextInt(data.users()));
                    comment.setString(3, "bench comment " + r.nextLong());
                    comment.executeUpdate();
                }
                case W2 -> {
                    retitle.setString(1, "Title " + r.nextLong());
                    retitle.setLong(2, 1 + r.nextInt(data.posts()));
                    retitle.executeUpdate();
                }
                case W3, W4 -> {
                    rename.setString(1, "User " + r.nextLong());
                    rename.setLong(2, one == W4 ? 1 : 1 + r.nextInt(data.users()));
                    rename.executeUpdate();
                }
                default -> throw new IllegalStateException("unexpected workload " + one);
            }
        }

        @Override
        public void close() throws SQLException {
            c.close();
        }
    }
}
