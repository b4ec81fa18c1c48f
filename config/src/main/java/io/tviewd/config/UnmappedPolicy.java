package io.tviewd.config;

import java.util.Locale;

/** What to do with a base table whose changes cannot be mapped to tview keys. */
public enum UnmappedPolicy {
    /** Refuse the tview, naming the table and what to declare (default). */
    ERROR,
    /** Any change to the table refreshes the whole tview (diff refresh: only differing rows are written). */
    FULL_REFRESH,
    /** Ignore the table's changes (the tview may go stale for them); warn at start. */
    WARN;

    /** Config spelling: {@code error}, {@code full_refresh}, {@code warn}. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    static UnmappedPolicy parse(String text) {
        for (UnmappedPolicy p : values()) {
            if (p.configName().equals(text.trim().toLowerCase(Locale.ROOT))) {
                return p;
            }
        }
        throw new IllegalArgumentException();
    }
}
