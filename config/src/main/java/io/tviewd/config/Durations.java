package io.tviewd.config;

import java.time.Duration;
import java.util.List;

/** Parses durations for command-line options with the same rules and messages as config keys. */
public final class Durations {

    private Durations() {
    }

    /**
     * @param name the option or key name shown in the error
     * @throws ConfigException naming the option, the value and the expected form
     */
    public static Duration parse(String name, String text) {
        try {
            Duration d = KeyType.parseDuration(text.trim());
            if (d.isNegative() || d.isZero()) {
                throw new ConfigException(List.of("Invalid value '" + text + "' for '" + name + "': must be positive"));
            }
            return d;
        } catch (IllegalArgumentException e) {
            throw new ConfigException(List.of("Invalid value '" + text + "' for '" + name + "': "
                    + (e.getMessage() != null ? e.getMessage() : "expected " + KeyType.DURATION.rule())));
        }
    }
}
