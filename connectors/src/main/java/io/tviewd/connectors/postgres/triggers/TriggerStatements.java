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
 * <p>Concurrency: every trigger first takes the refresh lock ({@link RefreshStatements#LOCK}), so
 * trigger refreshes run one transaction at a time and each computes from a snapshot that includes the
 * previous one's commit (READ COMMITTED writers); otherwise two writers could each upsert a document
 * computed without the other's change. Writers in trigger mode pay for freshness with this serialization.
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
        boolean events = emit != RefreshStatements.Emit.NONE;
        String byKeys = RefreshStatements.refreshByKeys(t, emit, "$1", "$2");
        String all = RefreshStatements.refreshAll(t, emit, "$1");
        // the signature before events existed; its callers are all replaced below in the same transaction
        out.add("DROP FUNCTION IF EXISTS " + fn + "(text[])");
        out.add("CREATE OR REPLACE FUNCTION " + fn + "(keys text[], ctx text) RETURNS void LANGUAGE plpgsql SECURITY DEFINER" + PINNED
                + " AS " + dollarQuoted("\nBEGIN\n  IF keys IS NULL THEN\n    EXECUTE " + literal(all) + (events ? " USING ctx" : "") + ";\n"
                + "  ELSE\n    EXECUTE " + literal(byKeys) + " USING keys" + (events ? ", ctx" : "") + ";\n  END IF;\nEND\n"));
        for (Map.Entry<TableName, List<KeyMapping>> e : plan.mappings().entrySet()) {
            TableName table = e.getKey();
            boolean full = e.getValue().stream().anyMatch(m -> m instanceof KeyMapping.FullRefresh);
            for (String ev : List.of("ins", "upd", "del")) {
                String tfn = "tviewd." + quote(tableFunction(t, table, ev));
                String changed = switch (ev) {
                    case "ins" -> "SELECT * FROM new_rows";
                    case "del" -> "SELECT * FROM old_rows";
                    default -> "SELECT * FROM new_rows UNION ALL SELECT * FROM old_rows";
                };
                String body = full
                        ? "  PERFORM " + fn + "(NULL, " + CONTEXT + ");\n"
                        : "  WITH changed AS (" + changed + ")\n  SELECT array_agg(DISTINCT x) INTO k FROM (\n    "
                                + e.getValue().stream().map(m -> keysFromChanged(t, m)).collect(Collectors.joining("\n    UNION ALL "))
                                + "\n  ) s(x);\n  IF k IS NOT NULL THEN\n    PERFORM " + fn + "(k, " + CONTEXT + ");\n  END IF;\n";
                out.add("CREATE OR REPLACE FUNCTION " + tfn + "() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER"
                        + " SET search_path = " + searchPath(plan) + " AS " + dollarQuoted("\nDECLARE k text[];\nBEGIN\n" + LOCK + body
                        + "  RETURN NULL;\nEND\n"));
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
