package io.tviewd.config;

import java.util.Locale;
import java.util.function.Function;

/**
 * One configuration key, declared once: its dotted name, type, default, an extra rule and a
 * one-line description. The README's configuration table is checked against these declarations.
 *
 * @param name dotted YAML path, e.g. {@code cdc.poll-interval}
 * @param type value type and its parse rule
 * @param defaultValue value used when neither the file nor the environment sets the key (may be null = required)
 * @param check extra rule on the parsed value: returns the rule text when violated, null when fine
 * @param doc one-line meaning for the README
 */
public record ConfigKey(String name, KeyType type, Object defaultValue, Function<Object, String> check, String doc) {

    /** Environment variable that overrides this key, e.g. {@code TVIEWD_CDC_POLL_INTERVAL}. */
    public String envName() {
        return envName(name);
    }

    static String envName(String dotted) {
        return "TVIEWD_" + dotted.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    public boolean secret() {
        return type == KeyType.SECRET;
    }
}
