package io.tviewd.config;

/**
 * A configuration value that must never reach a log line, an error message or a dump.
 * {@link #toString()} masks it; only {@link #reveal()} returns the text, at the point of use.
 */
public final class Secret {

    public static final String MASK = "****";
    private static final Secret EMPTY = new Secret("");

    private final String value;

    private Secret(String value) {
        this.value = value;
    }

    public static Secret of(String value) {
        return value == null || value.isEmpty() ? EMPTY : new Secret(value);
    }

    public String reveal() {
        return value;
    }

    public boolean isEmpty() {
        return value.isEmpty();
    }

    @Override
    public String toString() {
        return value.isEmpty() ? "" : MASK;
    }
}
