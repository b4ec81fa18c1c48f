package io.tviewd.config;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The value types a configuration key can have, each with its parser and the rule it enforces. */
public enum KeyType {
    STRING("a string"),
    SECRET("a string"),
    INT("an integer"),
    BOOLEAN("true or false"),
    DURATION("a duration like 10ms, 5s, 2m or PT0.01S"),
    /** A size in bytes: a plain number, or with {@code kB}, {@code MB}, {@code GB} (powers of 1024). */
    BYTES("a size like 65536, 512kB, 64MB or 1GB (powers of 1024)"),
    STRING_LIST("a list of strings (YAML list or comma-separated)"),
    /** A list of maps whose keys are validated by the loader itself (e.g. {@code tviews}). */
    RECORD_LIST("a list of mappings");

    private static final Pattern SIMPLE_DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

    private final String rule;

    KeyType(String rule) {
        this.rule = rule;
    }

    /** Human description of what a valid value looks like, used in error messages and the README. */
    public String rule() {
        return rule;
    }

    /**
     * Parses a raw YAML or environment value.
     *
     * @throws IllegalArgumentException with no message when the value does not fit the type
     */
    Object parse(Object raw) {
        switch (this) {
            case STRING:
                requireScalar(raw);
                return raw.toString();
            case SECRET:
                requireScalar(raw);
                return Secret.of(raw.toString());
            case INT:
                if (raw instanceof Integer || raw instanceof Long) {
                    long v = ((Number) raw).longValue();
                    if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
                        throw new IllegalArgumentException();
                    }
                    return (int) v;
                }
                requireScalar(raw);
                try {
                    return Integer.parseInt(raw.toString().trim());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException();
                }
            case BOOLEAN:
                if (raw instanceof Boolean) {
                    return raw;
                }
                String b = raw.toString().trim().toLowerCase(Locale.ROOT);
                if (b.equals("true") || b.equals("false")) {
                    return Boolean.valueOf(b);
                }
                throw new IllegalArgumentException();
            case DURATION:
                return parseDuration(raw.toString().trim());
            case BYTES:
                requireScalar(raw);
                return parseBytes(raw.toString().trim());
            case STRING_LIST:
                List<String> out = new ArrayList<>();
                if (raw instanceof List<?> list) {
                    for (Object o : list) {
                        requireScalar(o);
                        out.add(o.toString().trim());
                    }
                } else {
                    requireScalar(raw);
                    for (String part : raw.toString().split(",")) {
                        if (!part.isBlank()) {
                            out.add(part.trim());
                        }
                    }
                }
                return List.copyOf(out);
            case RECORD_LIST:
                if (raw instanceof List<?> list) {
                    return list;
                }
                throw new IllegalArgumentException();
            default:
                throw new IllegalStateException(name());
        }
    }

    private static final Pattern BYTE_SIZE = Pattern.compile("(\\d{1,12})\\s*(|b|kb|mb|gb)");

    /** A size in bytes; {@code kB}, {@code MB}, {@code GB} are powers of 1024 (as PostgreSQL reads them). */
    static long parseBytes(String text) {
        Matcher m = BYTE_SIZE.matcher(text.toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException();
        }
        long n = Long.parseLong(m.group(1));
        int shift = switch (m.group(2)) {
            case "kb" -> 10;
            case "mb" -> 20;
            case "gb" -> 30;
            default -> 0;
        };
        if (n > (Long.MAX_VALUE >> shift)) {
            throw new IllegalArgumentException();
        }
        return n << shift;
    }

    private static void requireScalar(Object raw) {
        if (raw instanceof List<?> || raw instanceof java.util.Map<?, ?>) {
            throw new IllegalArgumentException();
        }
    }

    /** Why a duration that has the right form is refused: it does not fit a {@link Duration} (or its milliseconds). */
    static final String TOO_LARGE = "is too large for a duration";

    static Duration parseDuration(String text) {
        Matcher m = SIMPLE_DURATION.matcher(text.toLowerCase(Locale.ROOT));
        if (m.matches()) {
            try {
                long n = Long.parseLong(m.group(1));
                return switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    default -> Duration.ofDays(n);
                };
            } catch (ArithmeticException | NumberFormatException e) {
                throw new IllegalArgumentException(TOO_LARGE);
            }
        }
        try {
            return Duration.parse(text.toUpperCase(Locale.ROOT));
        } catch (DateTimeParseException e) {
            if (e.getCause() instanceof ArithmeticException || String.valueOf(e.getMessage()).contains("overflow")) {
                throw new IllegalArgumentException(TOO_LARGE);
            }
            throw new IllegalArgumentException();
        }
    }
}
