package io.tviewd.config;

import java.util.List;

/**
 * Thrown when configuration cannot be loaded. Carries every problem found, each naming the key,
 * the offending value (masked for secrets) and the rule it broke, so one run reports them all.
 */
public final class ConfigException extends RuntimeException {

    private final List<String> problems;

    public ConfigException(List<String> problems) {
        super(render(problems));
        this.problems = List.copyOf(problems);
    }

    /** The individual problems, one sentence each. */
    public List<String> problems() {
        return problems;
    }

    private static String render(List<String> problems) {
        StringBuilder sb = new StringBuilder("Invalid configuration (")
                .append(problems.size()).append(problems.size() == 1 ? " problem" : " problems").append("):");
        for (String p : problems) {
            sb.append("\n  - ").append(p);
        }
        return sb.toString();
    }
}
