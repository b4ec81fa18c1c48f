package io.tviewd.connectors.events;

import java.util.Locale;

/** Entity names of tviews in events: {@code tv_blog_post} → {@code BlogPost}. */
public final class Typenames {

    private Typenames() {
    }

    /** PascalCase of the table name (schema dropped) without its {@code tv_}/{@code ta_} prefix. */
    public static String of(String qualifiedName) {
        String tableName = io.tviewd.connectors.TableName.parse(qualifiedName, "public").name();
        String base = tableName.matches("(?i)t[va]_.+") ? tableName.substring(3) : tableName;
        StringBuilder out = new StringBuilder();
        for (String part : base.split("_+")) {
            if (!part.isEmpty()) {
                out.append(part.substring(0, 1).toUpperCase(Locale.ROOT)).append(part.substring(1));
            }
        }
        return out.isEmpty() ? tableName : out.toString();
    }
}
