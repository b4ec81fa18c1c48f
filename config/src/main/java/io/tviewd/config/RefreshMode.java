package io.tviewd.config;

import java.util.Locale;

/** How a tview is kept fresh (DESIGN.md "Modes"). */
public enum RefreshMode {
    /** Generated statement triggers refresh it in the writer's transaction: no staleness, writer pays. */
    TRIGGER,
    /** A chunked diff refresh every {@code schedule}: staleness up to the interval, writers pay nothing. */
    SCHEDULED,
    /** The daemon refreshes it from the WAL: milliseconds of staleness, writers pay nothing. */
    CDC,
    /** Only on request (CLI or API). */
    MANUAL;

    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static RefreshMode parse(String text) {
        for (RefreshMode m : values()) {
            if (m.configName().equals(text.trim().toLowerCase(Locale.ROOT))) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown mode '" + text + "': expected one of trigger, scheduled, cdc, manual");
    }
}
