package io.tviewd.connectors.postgres.plan;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Finds the part of a view's text ({@code pg_get_viewdef}) where a table is used, for messages. */
final class ViewText {

    private static final int MAX = 240;

    private ViewText() {
    }

    /** The innermost parenthesised subquery around {@code table alias}, else the text near it; at most 240 characters. */
    static Optional<String> around(String def, String table, String alias) {
        String name = Pattern.quote(table);
        String pattern = alias.equals(table) ? "(?<![\\w.\"])(\\w+\\.)?\"?" + name + "\"?(?![\\w\"])"
                : "(?<![\\w\"])\"?" + name + "\"?\\s+(AS\\s+)?\"?" + Pattern.quote(alias) + "\"?(?![\\w\"])";
        Matcher m = Pattern.compile(pattern, Pattern.CASE_INSENSITIVE).matcher(def);
        if (!m.find()) {
            return Optional.empty();
        }
        int at = m.start();
        int depth = 0;
        int open = -1;
        for (int i = at - 1; i >= 0; i--) {
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
        String text;
        if (open >= 0) {
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
            text = def.substring(open, close + 1);
        } else {
            text = def.substring(Math.max(0, at - 60), Math.min(def.length(), m.end() + 120));
        }
        text = text.replaceAll("\\s+", " ").replace("( ", "(").trim();
        return Optional.of(text.length() > MAX ? text.substring(0, MAX - 1) + "…" : text);
    }
}
