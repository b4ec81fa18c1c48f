package io.tviewd.connectors.postgres.plan;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Finds the part of a view's text ({@code pg_get_viewdef}) where a table is used, for messages. */
final class ViewText {

    private static final int MAX = 240;

    private static final Pattern DERIVED = Pattern.compile("subquery (\\S+) in FROM$");

    private ViewText() {
    }

    /** As {@link #around(String, String, String, String)} with no context. */
    static Optional<String> around(String def, String table, String alias) {
        return around(def, table, alias, "");
    }

    /**
     * The innermost parenthesised subquery around {@code table alias}, else the text near it; at most 240 characters.
     * Where the view uses {@code table alias} more than once, the use's {@code context} picks the occurrence: the one
     * whose subquery is the derived table its last step names ({@code … › subquery t in FROM}), else the first.
     */
    static Optional<String> around(String def, String table, String alias, String context) {
        String name = Pattern.quote(table);
        String pattern = alias.equals(table) ? "(?<![\\w.\"])(\\w+\\.)?\"?" + name + "\"?(?![\\w\"])"
                : "(?<![\\w\"])\"?" + name + "\"?\\s+(AS\\s+)?\"?" + Pattern.quote(alias) + "\"?(?![\\w\"])";
        Matcher m = Pattern.compile(pattern, Pattern.CASE_INSENSITIVE).matcher(def);
        Matcher derived = DERIVED.matcher(context);
        Pattern named = derived.find()
                ? Pattern.compile("^\\s+(AS\\s+)?\"?" + Pattern.quote(derived.group(1)) + "\"?(?![\\w\"])", Pattern.CASE_INSENSITIVE)
                : null;
        String first = null;
        while (m.find()) {
            int[] span = span(def, m.start(), m.end());
            String text = shorten(def.substring(span[0], span[1]));
            if (first == null) {
                first = text;
            }
            if (named == null) {
                break;
            }
            if (def.charAt(span[1] - 1) == ')' && named.matcher(def.substring(span[1])).find()) {
                return Optional.of(text);
            }
        }
        return Optional.ofNullable(first);
    }

    /** Start and end (exclusive) of the innermost parenthesised text around a match, else of the text near it. */
    private static int[] span(String def, int start, int end) {
        int depth = 0;
        int open = -1;
        for (int i = start - 1; i >= 0; i--) {
            char c = def.charAt(i);
            if (c == ')') {
                depth++;
            } else if (c == '(') {
                if (depth == 0) {
                    open = i;
                    break;
                }
                depth--;
            }
        }
        if (open < 0) {
            return new int[] {Math.max(0, start - 60), Math.min(def.length(), end + 120)};
        }
        int close = open;
        depth = 0;
        for (int i = open; i < def.length(); i++) {
            char c = def.charAt(i);
            if (c == '(') {
                depth++;
            } else if (c == ')' && --depth == 0) {
                close = i;
                break;
            }
        }
        return new int[] {open, close + 1};
    }

    private static String shorten(String text) {
        String t = text.replaceAll("\\s+", " ").replace("( ", "(").trim();
        return t.length() > MAX ? t.substring(0, MAX - 1) + "…" : t;
    }
}
