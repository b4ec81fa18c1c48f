package io.tviewd.daemon.demo;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

/** SQL scripts shipped as class-path resources, run in one transaction with {@code :name} parameters substituted. */
public final class SqlScripts {

    private SqlScripts() {
    }

    /** Runs resource {@code path} in one transaction; each {@code :key} of {@code params} is replaced by its value first. */
    public static void run(Connection c, String path, Map<String, String> params) throws SQLException {
        String script = resource(path);
        for (Map.Entry<String, String> p : params.entrySet()) {
            script = script.replace(":" + p.getKey(), p.getValue());
        }
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
        try (InputStream in = SqlScripts.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read resource " + path, e);
        }
    }
}
