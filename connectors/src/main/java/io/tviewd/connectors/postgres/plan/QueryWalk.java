package io.tviewd.connectors.postgres.plan;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.tviewd.connectors.TableName;
import io.tviewd.connectors.postgres.plan.Lineage.Edge;
import io.tviewd.connectors.postgres.plan.Lineage.Kind;
import io.tviewd.connectors.postgres.plan.Lineage.Level;
import io.tviewd.connectors.postgres.plan.Lineage.Membership;
import io.tviewd.connectors.postgres.plan.Lineage.Problem;
import io.tviewd.connectors.postgres.plan.Lineage.Ref;
import io.tviewd.connectors.postgres.plan.Lineage.Scope;
import io.tviewd.connectors.postgres.plan.Lineage.Side;
import io.tviewd.connectors.postgres.plan.Lineage.Use;
import io.tviewd.connectors.postgres.plan.QueryCatalog.Function;
import io.tviewd.connectors.postgres.plan.QueryCatalog.Relation;
import io.tviewd.connectors.postgres.plan.QueryTree.Node;

/**
 * The walking half of {@link Lineage}: reads a view's query tree, through nested views, subqueries, sublinks, CTEs and set
 * operations, into the uses of tables it holds, the equalities between their columns (each with the scope it holds in),
 * and the problems met on the way (functions that read tables or depend on time, materialized views, recursion). One walk
 * per analysis; not thread-safe.
 */
final class QueryWalk {

    private static final int MAX_VIEW_DEPTH = 32;

    private final QueryCatalog catalog;
    private final Map<TableName, TableName> tviewSources;
    final List<Use> uses = new ArrayList<>();
    final List<Edge> edges = new ArrayList<>();
    final List<Problem> problems = new ArrayList<>();
    private final Set<String> problemKeys = new LinkedHashSet<>();
    private int viewDepth;

    QueryWalk(QueryCatalog catalog, Map<TableName, TableName> tviewSources) {
        this.catalog = catalog;
        this.tviewSources = tviewSources;
    }

    Level level(Node query, Level outer, Level parent, TableName view, String context, List<Membership> stack,
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
    List<Ref> output(Level sub, int resno) {
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

    void problem(Use u, String what, String reason) {
        if (problemKeys.add((u == null ? "" : u.id + ":") + what + ":" + reason)) {
            problems.add(new Problem(u, what, reason));
        }
    }
}
