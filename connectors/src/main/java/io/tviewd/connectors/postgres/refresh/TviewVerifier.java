package io.tviewd.connectors.postgres.refresh;

import static io.tviewd.connectors.TableName.quote;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Collectors;

import io.tviewd.connectors.postgres.catalog.Tview;

/**
 * Compares a tview with its source view in key ranges (keyset pagination on the tview's key),
 * comparing an md5 of each row in the database: memory stays bounded by one chunk of keys, and no
 * row data crosses the wire. Reports missing keys (in the view, not the tview), extra keys (in the
 * tview only) and differing keys; a listener receives each chunk's differing keys (to repair them).
 */
public final class TviewVerifier {

    /** Called after each chunk with the keys found to differ in it (possibly empty), and progress. */
    @FunctionalInterface
    public interface ChunkListener {
        void chunk(List<String> differingKeys, long keysChecked) throws SQLException;
    }

    /** Outcome: counts and up to {@value #SAMPLE} sample keys of each kind. */
    public record Report(Tview tview, long keysChecked, long missing, long extra, long differing,
                         List<String> missingSample, List<String> extraSample, List<String> differingSample) {
        public boolean drift() {
            return missing + extra + differing > 0;
        }
    }

    static final int SAMPLE = 20;

    private TviewVerifier() {
    }

    public static Report verify(Connection c, Tview t, int chunkSize, ChunkListener listener) throws SQLException {
        String key = quote(t.keyColumn());
        long checked = 0;
        long missing = 0;
        long extra = 0;
        long differing = 0;
        List<String> missingSample = new ArrayList<>();
        List<String> extraSample = new ArrayList<>();
        List<String> differingSample = new ArrayList<>();
        String lo = null;
        while (true) {
            String hi;
            long n;
            String bound = "SELECT ((array_agg(k ORDER BY k DESC))[1])::text, count(*) FROM (SELECT " + key + " AS k FROM " + t.table().quoted()
                    + (lo == null ? "" : " WHERE " + key + " > CAST(? AS text)::" + t.keyType()) + " ORDER BY " + key
                    + " LIMIT " + chunkSize + ") chunk";
            try (PreparedStatement ps = c.prepareStatement(bound)) {
                if (lo != null) {
                    ps.setString(1, lo);
                }
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    hi = rs.getString(1);
                    n = rs.getLong(2);
                }
            }
            // the last range is open-ended so that view keys above the tview's highest key are seen
            boolean last = n < chunkSize;
            List<String> diff = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(compareSql(t, lo != null, !last))) {
                int i = 1;
                for (int side = 0; side < 2; side++) {
                    if (lo != null) {
                        ps.setString(i++, lo);
                    }
                    if (!last) {
                        ps.setString(i++, hi);
                    }
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        String k = rs.getString(1);
                        diff.add(k);
                        switch (rs.getString(2)) {
                            case "missing" -> {
                                missing++;
                                sample(missingSample, k);
                            }
                            case "extra" -> {
                                extra++;
                                sample(extraSample, k);
                            }
                            default -> {
                                differing++;
                                sample(differingSample, k);
                            }
                        }
                    }
                }
            }
            checked += n;
            listener.chunk(diff, checked);
            if (last) {
                break;
            }
            lo = hi;
        }
        return new Report(t, checked, missing, extra, differing, missingSample, extraSample, differingSample);
    }

    /** md5 of a key's row in the view and in the tview, either null when the row is absent there. */
    public record RowHashes(String view, String tview) {
        public boolean matches() {
            return Objects.equals(view, tview);
        }
    }

    /**
     * Hashes of the given keys' rows in the view and the tview, read in one statement (one snapshot); keys in
     * neither are left out.
     */
    public static Map<String, RowHashes> hashes(Connection c, Tview t, Collection<String> keys) throws SQLException {
        String key = quote(t.keyColumn());
        String in = " WHERE " + key + " = ANY(CAST(? AS text[])::" + t.keyType() + "[])";
        String hash = "md5(ROW(" + t.columns().stream().map(col -> t.comparable(col, "")).collect(Collectors.joining(", ")) + ")::text)";
        String sql = "WITH v AS (SELECT " + key + " AS k, " + hash + " AS h FROM " + t.sourceView().quoted() + in + "), "
                + "t AS (SELECT " + key + " AS k, " + hash + " AS h FROM " + t.table().quoted() + in + ") "
                + "SELECT coalesce(v.k, t.k)::text, v.h, t.h FROM v FULL JOIN t ON v.k = t.k ORDER BY 1";
        Map<String, RowHashes> out = new TreeMap<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            java.sql.Array arr = c.createArrayOf("text", keys.toArray());
            ps.setArray(1, arr);
            ps.setArray(2, arr);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), new RowHashes(rs.getString(2), rs.getString(3)));
                }
            }
        }
        return out;
    }

    private static void sample(List<String> sample, String key) {
        if (sample.size() < SAMPLE) {
            sample.add(key);
        }
    }

    /** Parameters: for the view then the tview, lo (when bounded below) and hi (when bounded above), as text. */
    static String compareSql(Tview t, boolean hasLo, boolean hasHi) {
        String key = quote(t.keyColumn());
        List<String> conds = new ArrayList<>();
        if (hasLo) {
            conds.add(key + " > CAST(? AS text)::" + t.keyType());
        }
        if (hasHi) {
            conds.add(key + " <= CAST(? AS text)::" + t.keyType());
        }
        String where = conds.isEmpty() ? "" : " WHERE " + String.join(" AND ", conds);
        String hash = "md5(ROW(" + t.columns().stream().map(col -> t.comparable(col, "")).collect(Collectors.joining(", ")) + ")::text)";
        return "WITH v AS (SELECT " + key + " AS k, " + hash + " AS h FROM " + t.sourceView().quoted() + where + "), "
                + "t AS (SELECT " + key + " AS k, " + hash + " AS h FROM " + t.table().quoted() + where + ") "
                + "SELECT coalesce(v.k, t.k)::text, CASE WHEN t.k IS NULL THEN 'missing' WHEN v.k IS NULL THEN 'extra' ELSE 'differs' END "
                + "FROM v FULL JOIN t ON v.k = t.k WHERE v.h IS DISTINCT FROM t.h ORDER BY 1";
    }
}
