package io.tviewd.connectors.postgres.refresh;

import static io.tviewd.connectors.TableName.quote;

import java.util.List;
import java.util.stream.Collectors;

import io.tviewd.connectors.postgres.catalog.Tview;
import io.tviewd.connectors.postgres.plan.KeyMapping;

/**
 * Generates the SQL of refresh. Pure functions of a {@link Tview}; no I/O.
 *
 * <p>Keys travel as one {@code text[]} parameter cast to the key type, so one prepared statement
 * serves any number of keys and a batch costs one round trip per tview.
 */
public final class RefreshStatements {

    /**
     * Taken by every refresh transaction of the daemon (and by triggers of plans that cannot lock by value), so they run
     * one at a time and after every open trigger-mode writer, which holds the table in ROW EXCLUSIVE mode (see
     * {@code TriggerStatements}). A table lock needs rights on {@code tviewd.refresh_lock}, which only the daemon's
     * role has: unlike an advisory lock, no other role can take it and stall every refresh.
     */
    public static final String LOCK = "LOCK TABLE " + io.tviewd.connectors.postgres.state.StateSchema.REFRESH_LOCK + " IN EXCLUSIVE MODE";

    private RefreshStatements() {
    }

    /** Prefix of the logical decoding messages that carry refresh events. */
    public static final String EVENT_PREFIX = "tviewd";

    /**
     * Changed rows per logical message. Debezium handles each message with offset and transaction bookkeeping that
     * costs far more than its bytes: one message per row made events cost more than refresh itself.
     */
    public static final int EVENTS_PER_MESSAGE = 500;

    /**
     * The format of the messages refresh statements emit: 3 carries each event's data as is (the {@code data} column
     * of a document tview, else the row); 2, written by earlier versions and still read, carried the whole row.
     */
    public static final int MESSAGE_VERSION = 3;

    /** The column whose value is an event's data, when the tview has it (a document tview). */
    public static final String DOCUMENT_COLUMN = "data";

    /** What refresh statements emit per changed row: nothing, an event without the row, or an event with it. */
    public enum Emit {
        NONE, KEYS, ROWS;

        public static Emit of(io.tviewd.config.RefreshConfig config) {
            return !config.emitEvents() ? NONE : config.eventRows() ? ROWS : KEYS;
        }
    }

    /**
     * Recomputes the rows with the given keys (parameters 1 and 2: the same {@code text[]}) from the source
     * view: upserts rows whose content differs, deletes rows the view no longer returns, bumps touch columns
     * of changed rows. Unless {@code emit} is {@link Emit#NONE}, every written or deleted row is also an event in a
     * transactional logical message, {@link #EVENTS_PER_MESSAGE} events per message: {@code {"v": 3, "t": tview,
     * "c": context, "x": txid, "r": refreshed at, "e": [[op, key, data], …]}} (parameter 3: the event context as JSON
     * text, see {@link RefreshCause#json}); the data only with {@link Emit#ROWS} (the WAL holds each message whole).
     * Returns one row: (keys found in the view, rows written, rows deleted, messages emitted).
     */
    public static String refreshByKeys(Tview t, Emit emit) {
        return refreshByKeys(t, emit, "?", "?");
    }

    /** {@link #refreshByKeys(Tview, Emit)} with the parameter placeholders of generated functions ({@code $1}, {@code $2}). */
    public static String refreshByKeys(Tview t, Emit emit, String keysParam, String contextParam) {
        return refreshByKeys(t, emit, keysParam, contextParam, List.of());
    }

    /**
     * {@link #refreshByKeys(Tview, Emit)} that also returns, after the four counts, one {@code text[]} per column of
     * {@code tracked}: the distinct non-null values that column had before or has after, over the rows this statement
     * wrote or deleted (what the tviews reading this one map to their keys, see {@link Readers}).
     */
    public static String refreshByKeys(Tview t, Emit emit, List<String> tracked) {
        return refreshByKeys(t, emit, "?", "?", tracked);
    }

    private static String refreshByKeys(Tview t, Emit emit, String keysParam, String contextParam, List<String> tracked) {
        String keyFilter = "v." + quote(t.keyColumn()) + " = ANY(" + keyArray(t, keysParam) + ")";
        String deleteFilter = "t." + quote(t.keyColumn()) + " = ANY(" + keyArray(t, keysParam) + ")";
        return refresh(t, " WHERE " + keyFilter, deleteFilter + " AND ", emit, contextParam, tracked);
    }

    /** Recomputes the whole tview; parameter 1 (unless {@link Emit#NONE}) is the event context; result as {@link #refreshByKeys}. */
    public static String refreshAll(Tview t, Emit emit) {
        return refresh(t, "", "", emit, "?", List.of());
    }

    /** {@link #refreshAll(Tview, Emit)} returning the tracked columns' values as {@link #refreshByKeys(Tview, Emit, List)}. */
    public static String refreshAll(Tview t, Emit emit, List<String> tracked) {
        return refresh(t, "", "", emit, "?", tracked);
    }

    public static String refreshAll(Tview t, Emit emit, String contextParam) {
        return refresh(t, "", "", emit, contextParam, List.of());
    }

    private static String refresh(Tview t, String sourceWhere, String deletePrefix, Emit emit, String contextParam,
                                  List<String> tracked) {
        String key = quote(t.keyColumn());
        String cols = columnList(t.columns(), "");
        String vcols = columnList(t.columns(), "v.");
        List<String> insertCols = new java.util.ArrayList<>(t.columns());
        insertCols.addAll(t.touchColumns());
        String selectList = cols + t.touchColumns().stream().map(c -> ", now()").collect(Collectors.joining());
        StringBuilder sql = new StringBuilder()
                // src is referenced three times, so PostgreSQL materializes it (evaluates the view once) on every
                // version; no MATERIALIZED keyword, which PostgreSQL < 12 does not accept
                .append("WITH src AS (SELECT ").append(vcols)
                .append(" FROM ").append(t.sourceView().quoted()).append(" v").append(sourceWhere).append("),\n")
                .append("up AS (INSERT INTO ").append(t.table().quoted()).append(" AS t (")
                .append(columnList(insertCols, "")).append(")\n  SELECT ").append(selectList).append(" FROM src\n")
                .append("  ON CONFLICT (").append(key).append(") DO ");
        List<String> values = t.valueColumns();
        if (values.isEmpty()) {
            sql.append("NOTHING");
        } else {
            List<String> set = new java.util.ArrayList<>(values);
            set.addAll(t.touchColumns());
            sql.append("UPDATE SET ")
                    .append(set.stream().map(c -> quote(c) + " = EXCLUDED." + quote(c)).collect(Collectors.joining(", ")))
                    .append("\n  WHERE ").append(row(t, values, "t.")).append(" IS DISTINCT FROM ").append(row(t, values, "EXCLUDED."));
        }
        boolean events = emit != Emit.NONE;
        // an event's data is the document column of a document tview, the whole row otherwise: emit only that (building
        // the whole row as jsonb around a document copied the document once more, ~10% of the statement)
        // (a jsonb document as it is: to_jsonb rebuilds a jsonb value in full, 0.4 s per 100,000 documents of 800 bytes)
        String row = emit != Emit.ROWS ? "NULL::jsonb" : !t.columns().contains(DOCUMENT_COLUMN) ? "to_jsonb(t)"
                : "jsonb".equals(t.columnTypes().get(DOCUMENT_COLUMN)) ? "t." + quote(DOCUMENT_COLUMN) : "to_jsonb(t." + quote(DOCUMENT_COLUMN) + ")";
        // xmax = 0 marks a row this statement inserted (rather than updated)
        // the tracked columns' values after (up) and, for deletes, before (del); old values of updated rows come from
        // "old", which sees the table as the statement found it (every part of one statement shares its snapshot)
        String returned = tracked.isEmpty() ? "" : ", " + java.util.stream.IntStream.range(0, tracked.size())
                .mapToObj(i -> "t." + quote(tracked.get(i)) + " AS x" + i).collect(Collectors.joining(", "));
        boolean keyed = events || !tracked.isEmpty();
        sql.append("\n  RETURNING ").append(events ? "t." + key + " AS k, " + row + " AS d, (t.xmax = 0) AS i" : keyed ? "t." + key + " AS k" : "1")
                .append(returned).append("),\n")
                .append("del AS (DELETE FROM ").append(t.table().quoted()).append(" t WHERE ").append(deletePrefix)
                .append("NOT EXISTS (SELECT 1 FROM src WHERE src.").append(key).append(" = t.").append(key)
                .append(") RETURNING ").append(keyed ? "t." + key + " AS k" : "1").append(returned).append(")");
        if (!tracked.isEmpty()) {
            sql.append(",\nold AS (SELECT t.").append(key).append(" AS k").append(returned).append(" FROM ").append(t.table().quoted())
                    .append(" t WHERE t.").append(key).append(" IN (SELECT up.k FROM up))");
        }
        if (events) {
            // one message per EVENTS_PER_MESSAGE changed rows: the decoder's cost is per message, not per byte
            String element = emit == Emit.ROWS ? "json_build_array(e.o, e.k, e.d)" : "json_build_array(e.o, e.k)";
            sql.append(",\nev AS (SELECT pg_logical_emit_message(true, '").append(EVENT_PREFIX).append("', json_build_object(")
                    .append("'v', ").append(MESSAGE_VERSION).append(", 'a', (SELECT key FROM ").append(io.tviewd.connectors.postgres.state.StateSchema.EVENT_KEY)
                    .append("), 't', ").append(literal(t.table().toString()))
                    .append(", 'c', CAST(").append(contextParam).append(" AS json), 'x', txid_current(), 'r', clock_timestamp(), ")
                    .append("'e', json_agg(").append(element).append(" ORDER BY e.n))::text)")
                    .append("\n  FROM (SELECT e.*, row_number() OVER () AS n FROM (")
                    .append("SELECT CASE WHEN up.i THEN 'i' ELSE 'u' END AS o, to_jsonb(up.k) AS k, up.d FROM up")
                    .append(" UNION ALL SELECT 'd', to_jsonb(del.k), NULL FROM del) e) e")
                    .append(" GROUP BY (e.n - 1) / ").append(EVENTS_PER_MESSAGE).append(")");
        }
        sql.append("\nSELECT (SELECT count(*) FROM src), (SELECT count(*) FROM up), (SELECT count(*) FROM del), ")
                .append(events ? "(SELECT count(*) FROM ev)" : "0");
        for (int i = 0; i < tracked.size(); i++) {
            String x = "x" + i;
            sql.append(", (SELECT array_agg(DISTINCT c.v) FROM (SELECT up.").append(x).append("::text AS v FROM up UNION ALL SELECT old.")
                    .append(x).append("::text FROM old UNION ALL SELECT del.").append(x).append("::text FROM del) c WHERE c.v IS NOT NULL)");
        }
        return sql.toString();
    }

    private static String literal(String s) {
        return "'" + s.replace("'", "''") + "'";
    }

    /**
     * Translates values of a row column into tview keys (parameter 1: {@code text[]} of values).
     * Returns one column: the key as text.
     */
    public static String lookupKeys(Tview t, KeyMapping mapping) {
        if (mapping instanceof KeyMapping.Lineage l) {
            return "SELECT t." + quote(t.keyColumn()) + "::text FROM " + t.table().quoted() + " t WHERE t."
                    + quote(l.tviewColumn()) + " = ANY(" + valueArray(l.columnType()) + ")";
        }
        if (mapping instanceof KeyMapping.Path p) {
            StringBuilder sql = new StringBuilder("SELECT DISTINCT t").append(p.hops().size()).append('.')
                    .append(quote(p.rootKeyColumn())).append("::text FROM ");
            for (int i = 0; i < p.hops().size(); i++) {
                KeyMapping.Hop h = p.hops().get(i);
                String alias = "t" + (i + 1);
                if (i == 0) {
                    sql.append(h.table().quoted()).append(' ').append(alias);
                } else {
                    KeyMapping.Hop prev = p.hops().get(i - 1);
                    sql.append(" JOIN ").append(h.table().quoted()).append(' ').append(alias).append(" ON t").append(i)
                            .append('.').append(quote(prev.exitColumn())).append(" = ").append(alias).append('.')
                            .append(quote(h.entryColumn()));
                }
            }
            return sql.append(" WHERE t1.").append(quote(p.hops().get(0).entryColumn())).append(" = ANY(")
                    .append(valueArray(p.columnType())).append(")").toString();
        }
        if (mapping instanceof KeyMapping.Explicit e) {
            return "SELECT k::text FROM (" + e.sql().replace(":values", valueArray(e.columnType())) + ") AS explicit_keys(k)";
        }
        throw new IllegalArgumentException("mapping " + mapping.kind() + " needs no lookup");
    }

    /** How many times the value array is bound in {@link #lookupKeys} ({@code :values} may repeat in explicit SQL). */
    public static int lookupParameterCount(KeyMapping mapping) {
        if (mapping instanceof KeyMapping.Explicit e) {
            return e.sql().split(":values", -1).length - 1;
        }
        return 1;
    }

    private static String valueArray(String type) {
        return "CAST(? AS text[])::" + type + "[]";
    }

    /**
     * Counts rows that differ between the tview and its source view (compared on the copied columns).
     * Returns one row per differing key (at most {@code limit}): the key as text.
     */
    public static String differingKeys(Tview t, int limit) {
        String cols = t.columns().stream().map(c -> t.comparable(c, "") + " AS " + quote(c))
                .collect(Collectors.joining(", "));
        String key = quote(t.keyColumn());
        return "SELECT DISTINCT d." + key + "::text FROM ((SELECT " + cols + " FROM " + t.sourceView().quoted()
                + " EXCEPT ALL SELECT " + cols + " FROM " + t.table().quoted() + ") UNION ALL (SELECT " + cols
                + " FROM " + t.table().quoted() + " EXCEPT ALL SELECT " + cols + " FROM " + t.sourceView().quoted()
                + ")) d ORDER BY 1 LIMIT " + limit;
    }

    private static String keyArray(Tview t, String param) {
        return "CAST(" + param + " AS text[])::" + t.keyType() + "[]";
    }

    private static String columnList(List<String> columns, String prefix) {
        return columns.stream().map(c -> prefix + quote(c)).collect(Collectors.joining(", "));
    }

    private static String row(Tview t, List<String> columns, String prefix) {
        return "ROW(" + columns.stream().map(c -> t.comparable(c, prefix)).collect(Collectors.joining(", ")) + ")";
    }
}
