package io.tviewd.connectors.clickhouse;

import java.io.IOException;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An error ClickHouse answered with: its exception code ({@code Code: 60}) and text. {@link #permanent} tells
 * a request that cannot succeed however often it is repeated (unknown table or column, a value the column's type
 * cannot hold, bad SQL) from one a retry may cure (overload, too many parts, a server starting).
 */
public final class ClickHouseException extends IOException {

    private static final Pattern CODE = Pattern.compile("Code: (\\d+)");
    /**
     * Codes of requests that fail again when repeated: the statement or the data is wrong for the table.
     * 16 no such column, 26/27 cannot parse, 33 cannot read all data, 36 bad arguments, 38/41 cannot parse
     * date/datetime, 44 illegal column, 47 unknown identifier, 53 type mismatch, 60 unknown table, 62 syntax
     * error, 69 argument out of bound, 70 cannot convert type, 72 cannot parse number, 81 unknown database,
     * 117 incorrect data, 130 cannot read array, 131 too large string size, 190 sizes of arrays do not match,
     * 386 no common type.
     */
    private static final Set<Integer> PERMANENT = Set.of(16, 26, 27, 33, 36, 38, 41, 44, 47, 53, 60, 62, 69, 70, 72, 81, 117, 130,
            131, 190, 386);

    private final int status;
    private final int code;

    ClickHouseException(int status, String body) {
        super(summary(status, body));
        this.status = status;
        Matcher m = CODE.matcher(body);
        this.code = m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    private static String summary(int status, String body) {
        String text = body.strip();
        int cut = text.indexOf(", e.what()");
        if (cut > 0) {
            text = text.substring(0, cut);
        }
        text = text.replace("e.displayText() = ", "");
        return "ClickHouse answered HTTP " + status + ": " + (text.length() > 500 ? text.substring(0, 500) + " …" : text);
    }

    /** ClickHouse's exception code, or -1 when the answer carried none. */
    public int code() {
        return code;
    }

    public int status() {
        return status;
    }

    /** True when repeating the request cannot help: the sink stops instead of retrying forever. */
    public boolean permanent() {
        return PERMANENT.contains(code);
    }
}
