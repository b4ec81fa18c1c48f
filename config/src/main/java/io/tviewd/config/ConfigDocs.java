package io.tviewd.config;

import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/** Renders the configuration reference (the README's table) from the key declarations. */
public final class ConfigDocs {

    private ConfigDocs() {
    }

    /** Markdown table: key, environment variable, type, default, meaning. */
    public static String markdownTable() {
        StringBuilder sb = new StringBuilder()
                .append("| key | environment variable | type | default | meaning |\n")
                .append("|---|---|---|---|---|\n");
        for (ConfigKey k : ConfigKeys.all().values()) {
            sb.append("| `").append(k.name()).append("` | ")
                    .append(k.type() == KeyType.RECORD_LIST ? "—" : "`" + k.envName() + "`").append(" | ")
                    .append(typeName(k.type())).append(" | ")
                    .append(defaultText(k)).append(" | ")
                    .append(k.doc()).append(" |\n");
        }
        return sb.toString();
    }

    private static String typeName(KeyType t) {
        return switch (t) {
            case STRING -> "string";
            case SECRET -> "secret";
            case INT -> "integer";
            case BOOLEAN -> "boolean";
            case DURATION -> "duration";
            case BYTES -> "size";
            case STRING_LIST -> "list of strings";
            case RECORD_LIST -> "list";
        };
    }

    private static String defaultText(ConfigKey k) {
        Object d = k.defaultValue();
        if (d instanceof Duration duration) {
            return "`" + ConfigKeys.format(duration) + "`";
        }
        if (k.type() == KeyType.BYTES && d instanceof Long bytes) {
            return "`" + (bytes % (1L << 20) == 0 ? (bytes >> 20) + "MB" : bytes % 1024 == 0 ? (bytes >> 10) + "kB" : bytes.toString()) + "`";
        }
        if (d instanceof List<?> list) {
            return list.isEmpty() ? "none" : "`" + list.stream().map(Object::toString).collect(Collectors.joining(", ")) + "`";
        }
        String s = String.valueOf(d);
        return s.isEmpty() ? "(empty)" : "`" + s + "`";
    }

    /** Prints the table, for pasting into the README. */
    public static void main(String[] args) {
        System.out.print(markdownTable());
    }
}
