package io.tviewd.connectors.postgres.plan;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.tviewd.connectors.TableName;
import io.tviewd.connectors.postgres.plan.QueryCatalog.Relation;
import io.tviewd.connectors.postgres.plan.QueryTree.Node;

/**
 * Lineage of a view's key, read from its stored query tree: for every use (range-table entry) of every base table,
 * through nested views, subqueries, sublinks, CTEs and set operations, a chain of equality conditions that ties the
 * used row to a row of the table the key comes from ({@link Chain}), or the reason no such chain is proven
 * ({@link Problem}). A chain is what makes a change to that row map to exactly the tview keys it can alter.
 *
 * <p>An equality counts for a chain only where it holds in every output row the used row contributes to: a top-level
 * conjunct of a WHERE, HAVING or inner join condition; a LEFT JOIN condition only when the chain's ends include a row
 * of the nullable side; a FULL JOIN condition only between its two sides; the {@code =} of a positive {@code IN}
 * subquery; and a subquery's output column stands for the column it is. Inside a level where rows compete (LIMIT,
 * OFFSET, window functions, DISTINCT ON), the chain must leave that level through one of the level's own conditions,
 * so that only rows of the same key compete. Views that call functions which may read tables or depend on time, read
 * materialized views or foreign tables, or recurse are reported the same way.
 */
public final class Lineage {

    /** One use of a base table: a range-table entry of some query level. */
    public static final class Use {
        final int id;
        final TableName table;
        final String alias;
        final String context;
        final TableName view;
        final List<Membership> memberships;
        final List<int[]> branches;
        final Level level;

        Use(int id, TableName table, String alias, String context, TableName view, List<Membership> memberships,
            List<int[]> branches, Level level) {
            this.id = id;
            this.table = table;
            this.alias = alias;
            this.context = context;
            this.view = view;
            this.memberships = List.copyOf(memberships);
            this.branches = List.copyOf(branches);
            this.level = level;
        }

        public TableName table() {
            return table;
        }

        public String alias() {
            return alias;
        }

        /** Where the use sits: {@code v_post}, {@code v_post › subquery in the select list}, … */
        public String context() {
            return context;
        }

        public TableName view() {
            return view;
        }

        /** Human form: {@code tb_user AS f (v_user › subquery in the select list)}. */
        public String describe() {
            return table + (alias.equals(table.name()) ? "" : " AS " + alias) + " (in " + context + ")";
        }

        @Override
        public String toString() {
            return describe();
        }
    }

    /** The key's source: a use and the column of it whose value is the tview key. */
    public record Root(Use use, String column) {
    }

    /** One equality of a chain: {@code from.fromColumn = to.toColumn}. */
    public record Link(Use from, String fromColumn, Use to, String toColumn) {
    }

    /** Equalities leading from a use to a root, in order. */
    public record Chain(Use use, Root root, List<Link> links) {
        public Chain {
            links = List.copyOf(links);
        }
    }

    /**
     * Something the lineage cannot prove covered.
     *
     * @param use the table use concerned, or null for a view-wide problem (a function, time)
     * @param reason why, in words an operator can act on
     */
    public record Problem(Use use, String what, String reason) {
    }

    /** The whole result for one view. */
    public record Result(List<Root> roots, List<Use> uses, Map<Use, List<Chain>> chains, List<Problem> problems) {
        public boolean isRoot(Use u) {
            return roots.stream().anyMatch(r -> r.use() == u);
        }
    }

    enum Kind { INNER, LEFT, FULL }

    enum Side { IN, NULLABLE, PRESERVED, LEFT, RIGHT }

    /** A place whose conditions are conjuncts: a query level's WHERE/HAVING, or a join's ON. */
    static final class Scope {
        final Kind kind;
        final Level level;

        Scope(Kind kind, Level level) {
            this.kind = kind;
            this.level = level;
        }
    }

    record Membership(Scope scope, Side side) {
    }

    record Edge(Use a, String aColumn, Use b, String bColumn, Scope scope) {
    }

    record Ref(Use use, String column) {
    }

    /** One query level: the view's, a subquery's, a sublink's, a CTE reference's, a set-operation branch's. */
    static final class Level {
        final Node query;
        final Level outer;
        final Level parent;
        final TableName view;
        final String context;
        final Scope where;
        final Map<Integer, Object> entries = new LinkedHashMap<>();
        final boolean competes;
        final String competition;
        List<Level> leaves = List.of();

        Level(Node query, Level outer, Level parent, TableName view, String context) {
            this.query = query;
            this.outer = outer;
            this.parent = parent;
            this.view = view;
            this.context = context;
            this.where = new Scope(Kind.INNER, this);
            List<String> why = new ArrayList<>();
            if (query.get("limitCount") != null || query.get("limitOffset") != null) {
                why.add("LIMIT/OFFSET");
            }
            if (query.flag("hasWindowFuncs")) {
                why.add("a window function");
            }
            if (query.flag("hasDistinctOn")) {
                why.add("DISTINCT ON");
            }
            if (query.get("groupingSets") != null) {
                why.add("GROUPING SETS/ROLLUP/CUBE");
            }
            this.competes = !why.isEmpty();
            this.competition = String.join(", ", why);
        }

        boolean within(Level other) {
            for (Level l = this; l != null; l = l.parent) {
                if (l == other) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * Analyses {@code view}, whose output column {@code keyColumn} is the tview key. Tviews it reads
     * ({@code tviewSources}: tview → source view) are followed into their source views.
     */
    public static Result of(QueryCatalog catalog, TableName view, String keyColumn, Map<TableName, TableName> tviewSources)
            throws SQLException {
        QueryWalk w = new QueryWalk(catalog, tviewSources);
        return analyse(w, catalog, view, keyColumn);
    }

    private Lineage() {
    }

    private static Result analyse(QueryWalk w, QueryCatalog catalog, TableName view, String keyColumn) throws SQLException {
        Relation rel = catalog.relation(view);
        if (rel.kind() == 'm') {
            w.problem(null, view.toString(), "the source view " + view + " is a materialized view: its rows change only by"
                    + " REFRESH MATERIALIZED VIEW, so a refresh from it copies whatever it last held");
        }
        List<Node> queries = QueryTree.queries(catalog.viewQuery(rel.oid()));
        if (queries.size() != 1) {
            throw new IllegalStateException("view " + view + " has " + queries.size() + " stored queries, expected 1");
        }
        Level top = w.level(queries.get(0), null, null, view, view.name(), new ArrayList<>(), new ArrayList<>(), rel.oid());
        List<Root> roots = new ArrayList<>();
        int resno = -1;
        for (Object o : top.query.list("targetList")) {
            Node te = (Node) o;
            if (keyColumn.equals(te.text("resname")) && !te.flag("resjunk")) {
                resno = te.integer("resno", -1);
            }
        }
        if (resno < 0) {
            throw new IllegalStateException("view " + view + " has no output column " + keyColumn);
        }
        for (Ref r : w.output(top, resno)) {
            roots.add(new Root(r.use(), r.column()));
        }
        Map<Use, List<Chain>> chains = new LinkedHashMap<>();
        for (Use u : w.uses) {
            Root own = roots.stream().filter(r -> r.use() == u).findFirst().orElse(null);
            if (own != null) {
                Level competing = EqualityChains.competingLevel(u, null);
                if (competing != null) {
                    w.problem(u, "the key's own table", "it is read in a level with " + competing.competition
                            + " (" + competing.context + "): a change to one row can change which rows, or what values, other keys get");
                }
                continue;
            }
            List<Root> compatible = roots.stream().filter(r -> EqualityChains.compatible(u, r.use())).toList();
            if (compatible.isEmpty()) {
                w.problem(u, "no key", "the key column '" + keyColumn + "' is not a plain column of a table in this part of the view"
                        + " (it is computed), so no row of it can be traced to a key");
                continue;
            }
            List<Chain> found = new ArrayList<>();
            for (Root r : compatible) {
                List<Link> links = EqualityChains.shortest(u, r, w.edges);
                if (links == null) {
                    w.problem(u, "unconnected", unconnected(w, u, r));
                    found = null;
                    break;
                }
                found.add(new Chain(u, r, links));
            }
            if (found != null) {
                chains.put(u, found);
            }
        }
        return new Result(roots, List.copyOf(w.uses), chains, List.copyOf(w.problems));
    }

    private static String unconnected(QueryWalk w, Use u, Root r) {
        boolean anyEdge = w.edges.stream().anyMatch(e -> e.a() == u || e.b() == u);
        Level competing = EqualityChains.competingLevel(u, r.use());
        String base = anyEdge
                ? "its equality conditions do not lead to the key column " + r.use().table.name() + "." + r.column()
                  + " of " + r.use().alias
                : "no equality condition ties it to another table's row";
        if (competing != null && anyEdge) {
            base += " without passing through the " + competing.competition + " of " + competing.context
                    + " (rows of different keys compete there)";
        }
        return base + "; a change to it can alter any row of the tview";
    }
}
