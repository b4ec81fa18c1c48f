package io.tviewd.connectors.postgres.plan;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.tviewd.connectors.TableName;
import io.tviewd.connectors.postgres.plan.QueryCatalog.Function;
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

    private static final int MAX_VIEW_DEPTH = 32;

    private final QueryCatalog catalog;
    private final Map<TableName, TableName> tviewSources;
    private final List<Use> uses = new ArrayList<>();
    private final List<Edge> edges = new ArrayList<>();
    private final List<Problem> problems = new ArrayList<>();
    private final Set<String> problemKeys = new LinkedHashSet<>();
    private int viewDepth;

    private Lineage(QueryCatalog catalog, Map<TableName, TableName> tviewSources) {
        this.catalog = catalog;
        this.tviewSources = tviewSources;
    }

    /**
     * Analyses {@code view}, whose output column {@code keyColumn} is the tview key. Tviews it reads
     * ({@code tviewSources}: tview → source view) are followed into their source views.
     */
    public static Result of(QueryCatalog catalog, TableName view, String keyColumn, Map<TableName, TableName> tviewSources)
            throws SQLException {
        return new Lineage(catalog, tviewSources).analyse(view, keyColumn);
    }

    private Result analyse(TableName view, String keyColumn) throws SQLException {
        Relation rel = catalog.relation(view);
        if (rel.kind() == 'm') {
            problem(null, view.toString(), "the source view " + view + " is a materialized view: its rows change only by"
                    + " REFRESH MATERIALIZED VIEW, so a refresh from it copies whatever it last held");
        }
        List<Node> queries = QueryTree.queries(catalog.viewQuery(rel.oid()));
        if (queries.size() != 1) {
            throw new IllegalStateException("view " + view + " has " + queries.size() + " stored queries, expected 1");
        }
        Level top = level(queries.get(0), null, null, view, view.name(), new ArrayList<>(), new ArrayList<>(), rel.oid());
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
        for (Ref r : output(top, resno)) {
            roots.add(new Root(r.use(), r.column()));
        }
        Map<Use, List<Chain>> chains = new LinkedHashMap<>();
        for (Use u : uses) {
            Root own = roots.stream().filter(r -> r.use() == u).findFirst().orElse(null);
            if (own != null) {
                Level competing = EqualityChains.competingLevel(u, null);
                if (competing != null) {
                    problem(u, "the key's own table", "it is read in a level with " + competing.competition
                            + " (" + competing.context + "): a change to one row can change which rows, or what values, other keys get");
                }
                continue;
            }
            List<Root> compatible = roots.stream().filter(r -> EqualityChains.compatible(u, r.use())).toList();
            if (compatible.isEmpty()) {
                problem(u, "no key", "the key column '" + keyColumn + "' is not a plain column of a table in this part of the view"
                        + " (it is computed), so no row of it can be traced to a key");
                continue;
            }
            List<Chain> found = new ArrayList<>();
            for (Root r : compatible) {
                List<Link> links = EqualityChains.shortest(u, r, edges);
                if (links == null) {
                    problem(u, "unconnected", unconnected(u, r));
                    found = null;
                    break;
                }
                found.add(new Chain(u, r, links));
            }
            if (found != null) {
                chains.put(u, found);
            }
        }
        return new Result(roots, List.copyOf(uses), chains, List.copyOf(problems));
    }

    private String unconnected(Use u, Root r) {
        boolean anyEdge = edges.stream().anyMatch(e -> e.a() == u || e.b() == u);
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

    // ---- walking the tree

    private Level level(Node query, Level outer, Level parent, TableName view, String context, List<Membership> stack,
                        List<int[]> branches, long viewOid) throws SQLException {
        Level l = new Level(query, outer, parent, view, context);
        List<Membership> inner = new ArrayList<>(stack);
        inner.add(new Membership(l.where, Side.IN));
        Node setOps = query.node("setOperations");
        List<Object> rtable = query.list("rtable");
        if (setOps != null) {
            List<Level> leaves = new ArrayList<>();
            List<Integer> refs = new ArrayList<>();
            setOperationLeaves(setOps, refs);
            for (int i = 0; i < refs.size(); i++) {
                Node rte = (Node) rtable.get(refs.get(i) - 1);
                List<int[]> b = new ArrayList<>(branches);
                b.add(new int[] {System.identityHashCode(l), i});
                Level leaf = level(rte.node("subquery"), outer, l, view, context + " › branch " + (i + 1) + " of a set operation",
                        inner, b, viewOid);
                l.entries.put(refs.get(i), leaf);
                leaves.add(leaf);
            }
            l.leaves = leaves;
            walk(l, query.get("targetList"), inner, branches);
            return l;
        }
        Node jointree = query.node("jointree");
        if (jointree != null) {
            for (Object item : jointree.list("fromlist")) {
                from(l, (Node) item, inner, branches, viewOid);
            }
            quals(l, jointree.get("quals"), l.where, inner, branches);
        }
        quals(l, query.get("havingQual"), l.where, inner, branches);
        walk(l, query.get("targetList"), inner, branches);
        return l;
    }

    private static void setOperationLeaves(Node n, List<Integer> out) {
        if (n.is("RANGETBLREF")) {
            out.add(n.integer("rtindex", -1));
        } else {
            setOperationLeaves(n.node("larg"), out);
            setOperationLeaves(n.node("rarg"), out);
        }
    }

    private void from(Level l, Node item, List<Membership> stack, List<int[]> branches, long viewOid) throws SQLException {
        if (item.is("RANGETBLREF")) {
            entry(l, item.integer("rtindex", -1), stack, branches, viewOid);
        } else if (item.is("JOINEXPR")) {
            // jointype: 0 inner, 1 left, 2 full, 3 right
            int type = item.integer("jointype", 0);
            Scope s = new Scope(type == 2 ? Kind.FULL : type == 0 ? Kind.INNER : Kind.LEFT, l);
            Side left = switch (type) {
                case 0 -> Side.IN;
                case 1 -> Side.PRESERVED;
                case 2 -> Side.LEFT;
                default -> Side.NULLABLE;
            };
            Side right = switch (type) {
                case 0 -> Side.IN;
                case 1 -> Side.NULLABLE;
                case 2 -> Side.RIGHT;
                default -> Side.PRESERVED;
            };
            List<Membership> ls = new ArrayList<>(stack);
            ls.add(new Membership(s, left));
            List<Membership> rs = new ArrayList<>(stack);
            rs.add(new Membership(s, right));
            from(l, item.node("larg"), ls, branches, viewOid);
            from(l, item.node("rarg"), rs, branches, viewOid);
            // a sublink in the ON clause decides whether the nullable side matches: it counts as that side
            List<Membership> on = new ArrayList<>(stack);
            on.add(new Membership(s, type == 0 ? Side.IN : type == 2 ? Side.PRESERVED : Side.NULLABLE));
            quals(l, item.get("quals"), s, on, branches);
        } else if (item.is("FROMEXPR")) {
            for (Object o : item.list("fromlist")) {
                from(l, (Node) o, stack, branches, viewOid);
            }
            quals(l, item.get("quals"), l.where, stack, branches);
        } else {
            problem(null, l.context, "a FROM item of type " + item.type() + " that tviewd does not analyse");
        }
    }

    private void entry(Level l, int rtindex, List<Membership> stack, List<int[]> branches, long viewOid) throws SQLException {
        Node rte = (Node) l.query.list("rtable").get(rtindex - 1);
        int kind = rte.integer("rtekind", -1);
        String alias = alias(rte);
        switch (kind) {
            case 0 -> relation(l, rtindex, rte, alias, stack, branches, viewOid);
            case 1 -> l.entries.put(rtindex, level(rte.node("subquery"), l, l, l.view,
                    l.context + " › subquery " + alias + " in FROM", stack, branches, viewOid));
            case 2 -> { } // a join's alias columns: resolved through joinaliasvars
            case 3 -> walk(l, rte.get("functions"), stack, branches);
            case 4 -> walk(l, rte.get("tablefunc"), stack, branches);
            case 5 -> walk(l, rte.get("values_lists"), stack, branches);
            case 6 -> cte(l, rtindex, rte, alias, stack, branches, viewOid);
            default -> problem(null, l.context, "a FROM item of kind " + kind + " (" + alias + ") that tviewd does not analyse");
        }
    }

    private void relation(Level l, int rtindex, Node rte, String alias, List<Membership> stack, List<int[]> branches,
                          long viewOid) throws SQLException {
        long oid = rte.number("relid");
        if (oid == viewOid) {
            return; // the OLD/NEW placeholders of a view's rule (before PostgreSQL 16)
        }
        Relation rel = catalog.relation(oid);
        TableName source = tviewSources.get(rel.name());
        if (source != null || rel.kind() == 'v') {
            TableName v = source != null ? source : rel.name();
            if (++viewDepth > MAX_VIEW_DEPTH) {
                throw new IllegalStateException("views nested deeper than " + MAX_VIEW_DEPTH + " under " + l.view);
            }
            Relation vr = catalog.relation(v);
            List<Node> qs = QueryTree.queries(catalog.viewQuery(vr.oid()));
            l.entries.put(rtindex, level(qs.get(0), null, l, v, l.context + " › " + (source != null ? "tview " + rel.name().name()
                    + " (view " + v.name() + ")" : "view " + v.name()) + (alias.equals(rel.name().name()) ? "" : " AS " + alias),
                    stack, branches, vr.oid()));
            viewDepth--;
            return;
        }
        switch (rel.kind()) {
            case 'r', 'p' -> {
                Use u = new Use(uses.size(), rel.name(), alias, l.context, l.view, stack, branches, l);
                uses.add(u);
                l.entries.put(rtindex, u);
            }
            case 'm' -> problem(null, rel.name().toString(), "the view reads materialized view " + rel.name() + " (in " + l.context
                    + "): its contents change by REFRESH MATERIALIZED VIEW, which the change stream does not carry row by row");
            case 'f' -> problem(null, rel.name().toString(), "the view reads foreign table " + rel.name() + " (in " + l.context
                    + "): its changes are not in this database's write-ahead log");
            default -> problem(null, rel.name().toString(), "the view reads " + rel.name() + " (relkind " + rel.kind()
                    + ", in " + l.context + "), which tviewd does not analyse");
        }
    }

    private void cte(Level l, int rtindex, Node rte, String alias, List<Membership> stack, List<int[]> branches, long viewOid)
            throws SQLException {
        String name = rte.text("ctename");
        Level owner = l;
        for (int i = rte.integer("ctelevelsup", 0); i > 0 && owner != null; i--) {
            owner = owner.outer;
        }
        Node found = null;
        for (Object c : owner == null ? List.of() : owner.query.list("cteList")) {
            if (c instanceof Node cte && name.equals(cte.text("ctename"))) {
                found = cte;
            }
        }
        if (found == null) {
            problem(null, l.context, "common table expression " + name + " could not be found in the query tree");
            return;
        }
        if (found.flag("cterecursive")) {
            problem(null, l.context, "recursive common table expression " + name + ": rows can reach any depth, so no"
                    + " equality chain bounds what a change affects");
            return;
        }
        l.entries.put(rtindex, level(found.node("ctequery"), owner, l, l.view, l.context + " › WITH " + name
                + (alias.equals(name) ? "" : " AS " + alias), stack, branches, viewOid));
    }

    private static String alias(Node rte) {
        Node a = rte.node("alias");
        if (a == null) {
            a = rte.node("eref");
        }
        String s = a == null ? null : a.text("aliasname");
        return s == null ? "?" : s;
    }

    /** The conjuncts of a condition: equalities become edges, everything else is walked. */
    private void quals(Level l, Object quals, Scope scope, List<Membership> stack, List<int[]> branches) throws SQLException {
        if (!(quals instanceof Node n)) {
            if (quals instanceof List<?> list) { // an implicit AND, as HAVING and some older trees store it
                for (Object o : list) {
                    quals(l, o, scope, stack, branches);
                }
            }
            return;
        }
        if (n.is("BOOLEXPR") && "and".equals(n.text("boolop"))) {
            for (Object o : n.list("args")) {
                quals(l, o, scope, stack, branches);
            }
            return;
        }
        if (n.is("OPEXPR") && n.list("args").size() == 2 && catalog.isEquality(n.number("opno"))) {
            walk(l, n, stack, branches);
            equality(l, n.list("args").get(0), l, n.list("args").get(1), scope);
            return;
        }
        if (n.is("SUBLINK") && n.integer("subLinkType", -1) == 2 && n.get("testexpr") instanceof Node test
                && test.is("OPEXPR") && test.list("args").size() == 2 && catalog.isEquality(test.number("opno"))
                && test.list("args").get(1) instanceof Node p && p.is("PARAM")) {
            // positive IN (subquery): the same as the subquery's own condition outer = its output column
            Level sub = sublink(l, n, stack, branches);
            walk(l, test.list("args").get(0), stack, branches);
            List<Ref> inner = output(sub, p.integer("paramid", -1));
            addEdges(resolve(l, test.list("args").get(0)), inner, sub.where);
            return;
        }
        walk(l, n, stack, branches);
    }

    private void equality(Level la, Object a, Level lb, Object b, Scope scope) {
        addEdges(resolve(la, a), resolve(lb, b), scope);
    }

    private void addEdges(List<Ref> as, List<Ref> bs, Scope scope) {
        for (Ref x : as) {
            for (Ref y : bs) {
                if (x.use() != y.use()) {
                    edges.add(new Edge(x.use(), x.column(), y.use(), y.column(), scope));
                }
            }
        }
    }

    private Level sublink(Level l, Node sublink, List<Membership> stack, List<int[]> branches) throws SQLException {
        String where = switch (sublink.integer("subLinkType", -1)) {
            case 0 -> "EXISTS subquery";
            case 2 -> "IN/ANY subquery";
            case 4 -> "scalar subquery";
            case 6 -> "ARRAY subquery";
            default -> "subquery";
        };
        return level(sublink.node("subselect"), l, l, l.view, l.context + " › " + where, stack, branches, -1);
    }

    /** Visits an expression: sublinks become levels, function calls are checked. */
    private void walk(Level l, Object expr, List<Membership> stack, List<int[]> branches) throws SQLException {
        if (expr instanceof List<?> list) {
            for (Object o : list) {
                walk(l, o, stack, branches);
            }
            return;
        }
        if (!(expr instanceof Node n)) {
            return;
        }
        switch (n.type()) {
            case "SUBLINK" -> {
                walk(l, n.get("testexpr"), stack, branches);
                sublink(l, n, stack, branches);
                return;
            }
            case "QUERY" -> {
                return;
            }
            case "FUNCEXPR" -> function(l, n.number("funcid"));
            case "OPEXPR", "DISTINCTEXPR", "NULLIFEXPR" -> function(l, n.number("opfuncid"));
            case "AGGREF" -> function(l, n.number("aggfnoid"));
            case "WINDOWFUNC" -> function(l, n.number("winfnoid"));
            case "SQLVALUEFUNCTION" -> problem(null, "CURRENT_DATE/CURRENT_TIMESTAMP/CURRENT_USER", "the view uses a value that"
                    + " changes with time or session (in " + l.context + "): no row change tells when it moves on");
            case "NEXTVALUEEXPR" -> problem(null, "nextval", "the view draws from a sequence (in " + l.context + ")");
            default -> { }
        }
        for (Object v : n.fields().values()) {
            walk(l, v, stack, branches);
        }
    }

    private void function(Level l, long oid) throws SQLException {
        if (oid == 0) {
            return;
        }
        Function f = catalog.function(oid);
        String reason = f.problem();
        if (reason != null) {
            problem(null, f.signature(), "the view calls " + f.signature() + " (in " + l.context + "): " + reason);
        }
    }

    // ---- resolving columns

    private List<Ref> resolve(Level l, Object expr) {
        Object e = strip(expr);
        if (e instanceof Node n && n.is("VAR")) {
            return variable(l, n);
        }
        return List.of();
    }

    private static Object strip(Object expr) {
        Object e = expr;
        while (e instanceof Node n && (n.is("RELABELTYPE") || n.is("COERCETODOMAIN"))) {
            e = n.get("arg");
        }
        return e;
    }

    private List<Ref> variable(Level l, Node var) {
        Level target = l;
        for (int i = var.integer("varlevelsup", 0); i > 0 && target != null; i--) {
            target = target.outer;
        }
        if (target == null) {
            return List.of();
        }
        int varno = var.integer("varno", -1);
        int attno = var.integer("varattno", 0);
        if (attno <= 0) {
            return List.of();
        }
        Object entry = target.entries.get(varno);
        if (entry instanceof Use u) {
            String column = catalog.columnName(u.table, attno);
            return column == null ? List.of() : List.of(new Ref(u, column));
        }
        if (entry instanceof Level sub) {
            return output(sub, attno);
        }
        List<Object> rtable = target.query.list("rtable");
        if (varno >= 1 && varno <= rtable.size()) {
            Node rte = (Node) rtable.get(varno - 1);
            if (rte.integer("rtekind", -1) == 2) {
                List<Object> aliases = rte.list("joinaliasvars");
                if (attno <= aliases.size() && strip(aliases.get(attno - 1)) instanceof Node v && v.is("VAR")) {
                    return variable(target, v);
                }
            }
        }
        return List.of();
    }

    /** What output column {@code resno} of a level is, per set-operation branch. */
    private List<Ref> output(Level sub, int resno) {
        if (!sub.leaves.isEmpty()) {
            List<Ref> out = new ArrayList<>();
            for (Level leaf : sub.leaves) {
                out.addAll(output(leaf, resno));
            }
            return out;
        }
        for (Object o : sub.query.list("targetList")) {
            Node te = (Node) o;
            if (te.integer("resno", -1) == resno) {
                return resolve(sub, te.get("expr"));
            }
        }
        return List.of();
    }

    private void problem(Use u, String what, String reason) {
        if (problemKeys.add((u == null ? "" : u.id + ":") + what + ":" + reason)) {
            problems.add(new Problem(u, what, reason));
        }
    }
}
