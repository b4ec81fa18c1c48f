package io.tviewd.connectors.postgres.plan;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import io.tviewd.connectors.postgres.plan.Lineage.Edge;
import io.tviewd.connectors.postgres.plan.Lineage.Level;
import io.tviewd.connectors.postgres.plan.Lineage.Link;
import io.tviewd.connectors.postgres.plan.Lineage.Membership;
import io.tviewd.connectors.postgres.plan.Lineage.Root;
import io.tviewd.connectors.postgres.plan.Lineage.Scope;
import io.tviewd.connectors.postgres.plan.Lineage.Use;

/**
 * The search half of {@link Lineage}: the shortest chain of equalities from a use to a root in which every equality
 * holds wherever the chain's rows meet (see {@link Lineage} for the rules), and the set-operation and competition
 * checks that decide whether a chain proves anything.
 */
final class EqualityChains {

    private static final int MAX_PATHS = 50_000;

    private EqualityChains() {
    }


    static boolean compatible(Use a, Use b) {
        for (int[] x : a.branches) {
            for (int[] y : b.branches) {
                if (x[0] == y[0] && x[1] != y[1]) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean valid(Scope s, Set<Use> present) {
        boolean in = false;
        boolean left = false;
        boolean right = false;
        for (Use u : present) {
            for (Membership m : u.memberships) {
                if (m.scope() != s) {
                    continue;
                }
                switch (m.side()) {
                    case IN -> in = true;
                    case NULLABLE -> in = true;
                    case LEFT -> left = true;
                    case RIGHT -> right = true;
                    default -> { }
                }
            }
        }
        return switch (s.kind) {
            case INNER, LEFT -> in;
            case FULL -> left && right;
        };
    }

    private record PathState(Use at, List<Link> links, List<Edge> via, Set<Use> seen) {
    }

    /** The shortest valid chain of equalities from {@code u} to the root's use, or null. */
    static List<Link> shortest(Use u, Root r, List<Edge> edges) {
        Deque<PathState> queue = new ArrayDeque<>();
        queue.add(new PathState(u, List.of(), List.of(), Set.of(u)));
        int explored = 0;
        while (!queue.isEmpty() && explored++ < MAX_PATHS) {
            PathState p = queue.poll();
            for (Edge e : edges) {
                Use next;
                Link link;
                if (e.a() == p.at()) {
                    next = e.b();
                    link = new Link(e.a(), e.aColumn(), e.b(), e.bColumn());
                } else if (e.b() == p.at()) {
                    next = e.a();
                    link = new Link(e.b(), e.bColumn(), e.a(), e.aColumn());
                } else {
                    continue;
                }
                if (p.seen().contains(next)) {
                    continue;
                }
                Set<Use> present = new LinkedHashSet<>(p.seen());
                present.add(r.use());
                if (e.scope().kind == Lineage.Kind.FULL) {
                    // a FULL JOIN condition holds where both its sides have a row: the chain crosses it from one to the other
                    present.add(next);
                }
                if (!valid(e.scope(), present)) {
                    continue;
                }
                List<Link> links = new ArrayList<>(p.links());
                links.add(link);
                List<Edge> via = new ArrayList<>(p.via());
                via.add(e);
                if (next == r.use()) {
                    if (competitionOk(u, r.use(), links, via)) {
                        return links;
                    }
                    continue;
                }
                Set<Use> seen = new LinkedHashSet<>(p.seen());
                seen.add(next);
                queue.add(new PathState(next, links, via, seen));
            }
        }
        return null;
    }

    /** In every competing level holding {@code u} but not the root, the chain leaves through the level's own condition. */
    private static boolean competitionOk(Use u, Use root, List<Link> links, List<Edge> via) {
        for (Level l = u.level; l != null; l = l.parent) {
            if (!l.competes || root.level.within(l)) {
                continue;
            }
            boolean crossed = false;
            for (int i = 0; i < links.size(); i++) {
                Link k = links.get(i);
                if (k.from().level.within(l) && !k.to().level.within(l)) {
                    if (!via.get(i).scope().level.within(l)) {
                        return false;
                    }
                    crossed = true;
                }
            }
            if (!crossed) {
                return false;
            }
        }
        return true;
    }

    static Level competingLevel(Use u, Use root) {
        for (Level l = u.level; l != null; l = l.parent) {
            if (l.competes && (root == null || !root.level.within(l))) {
                return l;
            }
        }
        return null;
    }
}
