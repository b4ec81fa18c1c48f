package io.tviewd.daemon.support;

import java.util.HashMap;
import java.util.Map;

import io.tviewd.config.ConfigLoader;
import io.tviewd.config.DatabaseConfig;
import io.tviewd.config.TviewdConfig;

/** Daemon configurations for tests, built through the real loader from environment-style overrides. */
public final class Configs {

    private Configs() {
    }

    /** Environment for a daemon on {@code db}: ephemeral HTTP port, given extra overrides. */
    public static Map<String, String> env(DatabaseConfig db, String... overrides) {
        Map<String, String> env = new HashMap<>();
        env.put("TVIEWD_DATABASE_URL", db.url());
        env.put("TVIEWD_DATABASE_USER", db.user());
        env.put("TVIEWD_DATABASE_PASSWORD", db.password().reveal());
        env.put("TVIEWD_HTTP_PORT", "0");
        for (int i = 0; i + 1 < overrides.length; i += 2) {
            env.put(overrides[i], overrides[i + 1]);
        }
        return env;
    }

    public static TviewdConfig forDatabase(DatabaseConfig db, String... overrides) {
        return ConfigLoader.load(null, env(db, overrides));
    }
}
