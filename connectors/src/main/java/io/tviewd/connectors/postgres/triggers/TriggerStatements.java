package io.tviewd.connectors.postgres.triggers;

import static io.tviewd.connectors.TableName.quote;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import io.tviewd.connectors.TableName;
import io.tviewd.connectors.postgres.PostgresSessions;
import io.tviewd.connectors.postgres.catalog.Tview;
import io.tviewd.connectors.postgres.plan.KeyMapping;
import io.tviewd.connectors.postgres.plan.RefreshPlan;
import io.tviewd.connectors.postgres.refresh.RefreshStatements;

/**
 * Generates the objects of trigger mode from a {@link RefreshPlan}: the same key mappings CDC uses,
 * evaluated on statement-level transition tables, refresh the affected tview rows in the writer's
 * transaction. Pure SQL generation.
 *
 * <p>Concurrency. Two writers must never each upsert a document computed without the other's change. Where every
 * mapping of the plan is a path of equalities ({@link #perKeyLocks}), triggers lock only what their change reaches,
 * so writers on different keys do not wait for each other ({@link #KEY_LOCK_STRIPES} rows of {@code tviewd.key_lock},
 * locked FOR UPDATE in stripe order; only the daemon's role can lock them):
 * <ul>
 *   <li>every tview key the statement refreshes (two writers of one document refresh it one after the other, the
 *       second from a snapshot that includes the first's commit);</li>
 *   <li>every value the key lookup lands on, per step of each path ({@code tb_post.fk_author = 7} when a user is
 *       renamed), and every value a new or re-linked row enters a path with (a post inserted for user 7 locks the
 *       same stripe): a writer that creates a link another writer's lookup cannot see yet waits for it, or is waited
 *       for, instead of computing a document from the other side's old rows (the phantom the global lock prevented);</li>
 *   <li>the lookup is repeated after each wait, until it needs nothing it does not hold, then the keys are refreshed
 *       from a fresh snapshot.</li>
 * </ul>
 * Trigger writers take {@code tviewd.refresh_lock} in ROW EXCLUSIVE mode, which they share with each other but not with
 * the daemon's own refreshes (EXCLUSIVE) or a ClickHouse copy (SHARE). Plans with declared mapping SQL or
 * {@code full_refresh} tables, and truncation, keep the one global lock: what such SQL reads cannot be locked by value.
 * Per-key locking can make two multi-statement transactions that change related rows in opposite orders deadlock;
 * PostgreSQL then aborts one of them (SQLState 40P01), which the application retries.
 *
 * <p>Objects, all predictably named:
 * <ul>
 *   <li>{@code tviewd."refresh_<schema>_<tview>"(keys text[], ctx text)} — recomputes the keys (all rows when
 *       null), SECURITY DEFINER, with the pinned rendering settings; with events on, each changed row emits
 *       its event (context {@code ctx}: mode {@code trigger}, the writing table, the writer's transaction);</li>
 *   <li>{@code tviewd."<tview>__<table>__ins|upd|del|trunc"()} — trigger functions mapping changed rows to keys;</li>
 *   <li>triggers {@code tviewd_<order>_<tview>_ins|upd|del|trunc} on each base table, AFTER … FOR EACH STATEMENT;
 *       the 3-digit refresh order makes a tview's triggers fire after those of the tviews it reads
 *       ({@code EXECUTE PROCEDURE}, the spelling PostgreSQL 10 also accepts).</li>
 * </ul>
 */
public final class TriggerStatements {

    /** Settings pinned on generated functions (as {@link PostgresSessions#PINNED_SETTINGS} for sessions). */
    private static final String PINNED = " SET search_path = pg_catalog, pg_temp SET \"TimeZone\" = 'UTC' SET \"DateStyle\" = 'ISO, YMD'"
            + " SET \"IntervalStyle\" = 'postgres' SET extra_float_digits = 1 SET bytea_output = 'hex'";


    private static final String LOCK = "  " + RefreshStatements.LOCK + ";\n";

    /** Rows of {@code tviewd.key_lock}: values are hashed onto them, so unrelated values share a row now and then. */
    public static final int KEY_LOCK_STRIPES = 65536;

    private static final String SHARED_LOCK = "  LOCK TABLE " + io.tviewd.connectors.postgres.state.StateSchema.REFRESH_LOCK
            + " IN ROW EXCLUSIVE MODE;\n";

    /** Event context of trigger refreshes: the writing table and the writer's own transaction. */
    private static final String CONTEXT = "json_build_object('m', 'trigger', 's', json_build_array(TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME), "
            + "'x', json_build_array(txid_current()), 'xt', false)::text";

    private static final Map<String, String> EVENTS = Map.of("ins", "INSERT", "upd", "UPDATE", "del", "DELETE");

    private TriggerStatements() {
    }

    /*
     * Names: every generated object starts with a fixed-length ASCII part that identifies it — the tview's tag (a hash of
     * its schema-qualified name, so tv_x in two schemas never share objects), the table's tag, the event — and ends with
     * the readable names, cut to PostgreSQL's 63 bytes on a character boundary. Cleanup matches the fixed part only.
     */

    /** A short stable tag of a qualified name (8 hex characters). */
    static String tag(TableName name) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(name.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(h, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Name (unquoted) of the tview's refresh function in schema tviewd. */
    public static String refreshFunction(Tview t) {
        return ident("refresh_" + tag(t.table()) + "_" + t.table().schema() + "_" + t.table().name());
    }

    /** Prefix of every trigger function of the tview (see {@link #tableFunction}). */
    public static String functionPrefix(Tview t) {
        return "t" + tag(t.table()) + "_";
    }

    /** Name (unquoted) of the tview's trigger function on one table for one event. */
    static String tableFunction(Tview t, TableName table, String event) {
        return ident(functionPrefix(t) + tag(table) + "_" + event + "_" + table.schema() + "_" + table.name());
    }

    /** Name of a trigger of this tview on one table for one event ({@code ins}, {@code upd}, {@code del}, {@code trunc}). */
    public static String triggerName(Tview t, int order, String event) {
        return ident(String.format("tviewd_%03d_%s_%s_%s", order, tag(t.table()), event, t.table().name()));
    }

    /** True when {@code name} is a trigger of tview {@code t} (any order, any event; also the names of earlier versions). */
    public static boolean isTriggerOf(Tview t, String name) {
        return name.matches("tviewd_\\d{3}_" + tag(t.table()) + "_(ins|upd|del|trunc)(_.*)?")
                || name.matches("tviewd_\\d{3}_" + java.util.regex.Pattern.quote(t.table().name()) + "_(ins|upd|del|trunc)");
    }

    /** A dollar-quote tag that does not occur in {@code body}. */
    static String dollarTag(String body) {
        String tag = "$tviewd$";
        for (int i = 1; body.contains(tag); i++) {
            tag = "$tviewd" + i + "$";
        }
        return tag;
    }

    /** {@code body} dollar-quoted with a tag it does not contain. */
    static String dollarQuoted(String body) {
        String tag = dollarTag(body);
        return tag + body + tag;
    }

    /** Statements that install (or replace) every trigger object of the plan; idempotent, run in one transaction. */
    public static List<String> install(RefreshPlan plan, int order, RefreshStatements.Emit emit) {
        Tview t = plan.tview();
        List<String> out = new ArrayList<>();
        String fn = "tviewd." + quote(refreshFunction(t));
        // static SQL, so PL/pgSQL prepares each statement once per session instead of planning the view on every call
        String byKeys = RefreshStatements.refreshByKeys(t, emit, "$1", "$2") + " INTO n_found, n_written, n_deleted, n_messages";
        String all = RefreshStatements.refreshAll(t, emit, "$2") + " INTO n_found, n_written, n_deleted, n_messages";
        // the signature before events existed; its callers are all replaced below in the same transaction
        out.add("DROP FUNCTION IF EXISTS " + fn + "(text[])");
        out.add("CREATE OR REPLACE FUNCTION " + fn + "(keys text[], ctx text) RETURNS void LANGUAGE plpgsql SECURITY DEFINER" + PINNED
                + " AS " + dollarQuoted("\n#variable_conflict use_column\nDECLARE n_found bigint; n_written bigint; n_deleted bigint; n_messages bigint;\nBEGIN\n"
                + "  IF keys IS NULL THEN\n    " + all + ";\n  ELSE\n    " + byKeys + ";\n  END IF;\nEND\n"));
        boolean perKey = perKeyLocks(plan);
        for (Map.Entry<TableName, List<KeyMapping>> e : triggerMappings(plan).entrySet()) {
            TableName table = e.getKey();
            boolean full = e.getValue().stream().anyMatch(m -> m instanceof KeyMapping.FullRefresh);
            for (String ev : List.of("ins", "upd", "del")) {
                String tfn = "tviewd." + quote(tableFunction(t, table, ev));
                String changed = switch (ev) {
                    case "ins" -> "SELECT * FROM new_rows";
                    case "del" -> "SELECT * FROM old_rows";
                    default -> "SELECT * FROM new_rows UNION ALL SELECT * FROM old_rows";
                };
                String lookups = e.getValue().stream().map(m -> keysFromChanged(t, m)).collect(Collectors.joining("\n    UNION ALL "));
                String body;
                if (full) {
                    body = LOCK + "  PERFORM " + fn + "(NULL, " + CONTEXT + ");\n";
                } else if (perKey) {
                    body = SHARED_LOCK + "  LOOP\n    WITH changed AS (" + changed + "),\n    keys AS (SELECT DISTINCT x FROM (\n    "
                            + lookups + "\n    ) s(x) WHERE x IS NOT NULL)\n    SELECT (SELECT array_agg(x) FROM keys), (SELECT array_agg(DISTINCT l) FROM (\n      "
                            + String.join("\n      UNION ALL ", lockStripes(plan, table, e.getValue(), ev))
                            + "\n    ) s(l) WHERE NOT l = ANY(held)) INTO k, want;\n    EXIT WHEN want IS NULL;\n"
                            + "    PERFORM 1 FROM " + KEY_LOCK + " WHERE stripe = ANY(want) ORDER BY stripe FOR UPDATE;\n"
                            + "    held := held || want;\n  END LOOP;\n"
                            + "  IF k IS NOT NULL THEN\n    PERFORM " + fn + "(k, " + CONTEXT + ");\n  END IF;\n";
                } else {
                    body = LOCK + "  WITH changed AS (" + changed + ")\n  SELECT array_agg(DISTINCT x) INTO k FROM (\n    " + lookups
                            + "\n  ) s(x);\n  IF k IS NOT NULL THEN\n    PERFORM " + fn + "(k, " + CONTEXT + ");\n  END IF;\n";
                }
                out.add("CREATE OR REPLACE FUNCTION " + tfn + "() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER"
                        + " SET search_path = " + searchPath(plan) + " AS " + dollarQuoted("\nDECLARE k text[];" + (perKey ? " held int[] := '{}'; want int[];" : "")
                        + "\nBEGIN\n" + body + "  RETURN NULL;\nEND\n"));
                String referencing = switch (ev) {
                    case "ins" -> "REFERENCING NEW TABLE AS new_rows";
                    case "del" -> "REFERENCING OLD TABLE AS old_rows";
                    default -> "REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows";
                };
                String trg = quote(triggerName(t, order, ev));
                out.add("DROP TRIGGER IF EXISTS " + trg + " ON " + table.quoted());
                out.add("CREATE TRIGGER " + trg + " AFTER " + EVENTS.get(ev) + " ON " + table.quoted() + " " + referencing
                        + " FOR EACH STATEMENT EXECUTE PROCEDURE " + tfn + "()");
            }
            String truncFn = "tviewd." + quote(tableFunction(t, table, "trunc"));
            out.add("CREATE OR REPLACE FUNCTION " + truncFn + "() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER"
                    + " SET search_path = pg_catalog, pg_temp AS " + dollarQuoted("\nBEGIN\n" + LOCK + "  PERFORM " + fn + "(NULL, " + CONTEXT
                    + ");\n  RETURN NULL;\nEND\n"));
            String trg = quote(triggerName(t, order, "trunc"));
            out.add("DROP TRIGGER IF EXISTS " + trg + " ON " + table.quoted());
            out.add("CREATE TRIGGER " + trg + " AFTER TRUNCATE ON " + table.quoted() + " FOR EACH STATEMENT EXECUTE PROCEDURE " + truncFn + "()");
        }
        return out;
    }

    private static final String KEY_LOCK = io.tviewd.connectors.postgres.state.StateSchema.KEY_LOCK;

    /**
     * The tables the tview's triggers go on, each with its mappings. By level when the plan maps so ({@link
     * RefreshPlan#byLevel}): the base tables its view reads itself, and the tviews it reads, whose triggers fire whoever
     * writes their rows (their own triggers, the daemon, a manual refresh), so the outer follows the inner's actual row
     * changes. Otherwise every base table of the full lineage, below the tviews read too.
     */
    public static Map<TableName, List<KeyMapping>> triggerMappings(RefreshPlan plan) {
        if (!plan.byLevel()) {
            return plan.mappings();
        }
        Map<TableName, List<KeyMapping>> out = new java.util.LinkedHashMap<>(plan.levelMappings());
        out.putAll(plan.tviewMappings());
        return out;
    }

    /**
     * True when the tview's triggers can lock by value instead of taking the global lock: every mapping is the root's
     * own key or a path of equalities whose two sides render values the same way as text (the same type, or both
     * integers, or both strings), so a lookup value and the value a new row enters with hash onto the same stripe.
     */
    public static boolean perKeyLocks(RefreshPlan plan) {
        for (List<KeyMapping> ms : triggerMappings(plan).values()) {
            for (KeyMapping m : ms) {
                if (m instanceof KeyMapping.Path p) {
                    String from = p.columnType();
                    for (KeyMapping.Hop h : p.hops()) {
                        if (!sameText(from, h.entryType())) {
                            return false;
                        }
                        from = h.exitType();
                    }
                } else if (!(m instanceof KeyMapping.Direct || m instanceof KeyMapping.Lineage)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** True when values of both types have one text form for equal values. */
    static boolean sameText(String a, String b) {
        if (a == null || b == null) {
            return false;
        }
        String x = a.replaceAll("\\(.*\\)", "");
        String y = b.replaceAll("\\(.*\\)", "");
        List<String> ints = List.of("smallint", "integer", "bigint");
        List<String> strings = List.of("text", "character varying");
        return x.equals(y) && !x.equals("numeric") && !x.startsWith("timestamp") && !x.startsWith("time ")
                || ints.contains(x) && ints.contains(y) || strings.contains(x) && strings.contains(y);
    }

    /** The stripe of {@code tviewd.key_lock} a value falls on, per what it is a value of ({@code scope}). */
    private static String stripe(String scope, String textValue) {
        return "(pg_catalog.hashtext(" + literal(scope + "|") + " || " + textValue + ") & " + (KEY_LOCK_STRIPES - 1) + ")";
    }

    private static String hopScope(Tview t, KeyMapping.Hop h) {
        return tag(t.table()) + "|" + h.table() + "|" + h.entryColumn();
    }

    /**
     * Queries (each one column of stripes) of what a trigger on {@code table} locks: the refreshed keys (CTE
     * {@code keys}), every value its lookups land on per path step, and, for inserted or updated rows whose path
     * columns changed, the values they enter each path step of this table with (a deleted row removes a link every
     * lookup still sees, so it needs none). {@code event}: {@code ins}, {@code upd} or {@code del}.
     */
    static List<String> lockStripes(RefreshPlan plan, TableName table, List<KeyMapping> mappings, String event) {
        Tview t = plan.tview();
        List<String> out = new ArrayList<>();
        out.add("SELECT " + stripe(tag(t.table()) + "|key", "x") + " FROM keys");
        for (KeyMapping m : mappings) {
            if (!(m instanceof KeyMapping.Path p)) {
                continue;
            }
            StringBuilder from = new StringBuilder();
            String value = "c." + quote(p.rowColumn());
            String where = "";
            for (int i = 0; i < p.hops().size(); i++) {
                KeyMapping.Hop h = p.hops().get(i);
                out.add("SELECT " + stripe(hopScope(t, h), value + "::text") + " FROM " + (i == 0 ? "changed c" : from + where)
                        + (i == 0 ? " WHERE " + value + " IS NOT NULL" : ""));
                String alias = "h" + (i + 1);
                if (i == 0) {
                    from.append(h.table().quoted()).append(' ').append(alias);
                    where = " WHERE " + alias + "." + quote(h.entryColumn()) + " IN (SELECT c." + quote(p.rowColumn()) + " FROM changed c)";
                } else {
                    from.append(" JOIN ").append(h.table().quoted()).append(' ').append(alias).append(" ON ").append(value)
                            .append(" = ").append(alias).append('.').append(quote(h.entryColumn()));
                }
                value = alias + "." + (h.exitColumn() == null ? "" : quote(h.exitColumn()));
            }
        }
        if (!event.equals("del")) {
            java.util.Map<String, java.util.Set<String>> entries = new java.util.TreeMap<>();
            java.util.Set<String> pathColumns = new java.util.TreeSet<>();
            for (List<KeyMapping> ms : triggerMappings(plan).values()) {
                for (KeyMapping m : ms) {
                    if (m instanceof KeyMapping.Path p) {
                        for (KeyMapping.Hop h : p.hops()) {
                            if (h.table().equals(table)) {
                                entries.computeIfAbsent(h.entryColumn(), c -> new java.util.TreeSet<>()).add(hopScope(t, h));
                                pathColumns.add(h.entryColumn());
                                if (h.exitColumn() != null) {
                                    pathColumns.add(h.exitColumn());
                                }
                            }
                        }
                    }
                }
            }
            if (!entries.isEmpty()) {
                List<String> pk = t.baseTables().stream().filter(b -> b.name().equals(table)).findFirst()
                        .map(io.tviewd.connectors.postgres.catalog.BaseTable::primaryKey).orElse(List.of());
                String unchanged = pk.isEmpty() || event.equals("ins") ? "" : " WHERE NOT EXISTS (SELECT 1 FROM old_rows o WHERE "
                        + row("o", pk) + " = " + row("n", pk) + " AND " + row("o", pathColumns) + " IS NOT DISTINCT FROM " + row("n", pathColumns) + ")";
                for (Map.Entry<String, java.util.Set<String>> e : entries.entrySet()) {
                    for (String scope : e.getValue()) {
                        out.add("SELECT " + stripe(scope, "n." + quote(e.getKey()) + "::text") + " FROM new_rows n" + unchanged);
                    }
                }
            }
        }
        return out;
    }

    private static String row(String alias, java.util.Collection<String> columns) {
        return "ROW(" + columns.stream().map(c -> alias + "." + quote(c)).collect(Collectors.joining(", ")) + ")";
    }

    /**
     * The path a trigger function runs with: {@code pg_catalog, pg_temp} (nothing a writer or another role created can
     * stand in for a built-in), plus the tview's schema after {@code pg_catalog} when the plan has declared mapping SQL,
     * which may name its tables unqualified.
     */
    static String searchPath(RefreshPlan plan) {
        boolean explicit = plan.mappings().values().stream().flatMap(List::stream).anyMatch(m -> m instanceof KeyMapping.Explicit);
        return explicit ? "pg_catalog, " + quote(plan.tview().table().schema()) + ", pg_temp" : "pg_catalog, pg_temp";
    }

    /** Keys of one mapping, computed from the {@code changed} rows of the statement. */
    static String keysFromChanged(Tview t, KeyMapping m) {
        String col = quote(m.rowColumn());
        if (m instanceof KeyMapping.Direct) {
            return "SELECT " + col + "::text FROM changed WHERE " + col + " IS NOT NULL";
        }
        String values = "ARRAY(SELECT DISTINCT " + col + "::text FROM changed WHERE " + col + " IS NOT NULL)";
        return "SELECT * FROM (" + RefreshStatements.lookupKeys(t, m).replace("CAST(? AS text[])", values) + ") " + ident("m_" + m.kind().replace('-', '_'));
    }

    private static String literal(String sql) {
        return "'" + sql.replace("'", "''") + "'";
    }

    /**
     * An identifier of at most 63 bytes (PostgreSQL's limit): longer names are cut on a character boundary, so a
     * multi-byte character is never split. The parts that make a name unique come first.
     */
    static String ident(String name) {
        if (name.getBytes(StandardCharsets.UTF_8).length <= 63) {
            return name;
        }
        StringBuilder out = new StringBuilder();
        int bytes = 0;
        for (int i = 0; i < name.length(); ) {
            int cp = name.codePointAt(i);
            int n = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
            if (bytes + n > 63) {
                break;
            }
            out.appendCodePoint(cp);
            bytes += n;
            i += Character.charCount(cp);
        }
        return out.toString();
    }
}
