package io.tviewd.connectors.postgres.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.tviewd.connectors.postgres.plan.QueryTree.Node;

class QueryTreeTest {

    /** Shapes copied from a PostgreSQL 17 view's ev_action: escapes, quoted names, a datum, bitmapsets, nulls. */
    private static final String TREE = "({QUERY :commandType 1 :utilityStmt <> :rtable ({RANGETBLENTRY :alias {ALIAS "
            + ":aliasname *SELECT*\\ 1 :colnames <>} :eref {ALIAS :aliasname p :colnames (\"id\" \"fk\\\"x\")} :rtekind 0 "
            + ":relid 16391 :relkind r}) :jointree {FROMEXPR :fromlist ({RANGETBLREF :rtindex 1}) :quals {OPEXPR :opno 96 "
            + ":args ({VAR :varno 1 :varattno 2 :varnullingrels (b 3) :varlevelsup 1} {CONST :consttype 25 :constisnull false "
            + ":location -1 :constvalue 5 [ 20 0 0 0 120 ]})}} :targetList ({TARGETENTRY :expr {VAR :varno 1 :varattno 1} "
            + ":resno 1 :resname id :resjunk false}) :limitCount <>})";

    @Test
    void queries_readsNodesListsTokensDatumsAndNulls() {
        List<Node> qs = QueryTree.queries(TREE);
        assertThat(qs).hasSize(1);
        Node q = qs.get(0);
        assertThat(q.get("utilityStmt")).isNull();
        assertThat(q.get("limitCount")).isNull();
        Node rte = (Node) q.list("rtable").get(0);
        assertThat(rte.node("alias").text("aliasname")).isEqualTo("*SELECT* 1");
        assertThat(rte.node("eref").list("colnames")).containsExactly("id", "fk\"x");
        assertThat(rte.number("relid")).isEqualTo(16391L);
        Node quals = q.node("jointree").node("quals");
        assertThat(quals.is("OPEXPR")).isTrue();
        Node var = (Node) quals.list("args").get(0);
        assertThat(var.integer("varlevelsup", 0)).isEqualTo(1);
        assertThat(var.list("varnullingrels")).containsExactly("b", "3");
        Node cons = (Node) quals.list("args").get(1);
        assertThat(cons.text("constvalue")).isEqualTo("5");
        assertThat(cons.flag("constisnull")).isFalse();
        Node te = (Node) q.list("targetList").get(0);
        assertThat(te.text("resname")).isEqualTo("id");
    }

    @Test
    void parse_truncatedText_isRejectedNamingTheProblem() {
        assertThatThrownBy(() -> QueryTree.parse("({QUERY :rtable ({RANGETBLENTRY :relid 1"))
                .isInstanceOf(QueryTree.MalformedTreeException.class).hasMessageContaining("unterminated");
        assertThatThrownBy(() -> QueryTree.parse("{QUERY rtable}"))
                .isInstanceOf(QueryTree.MalformedTreeException.class).hasMessageContaining("expected a field name in QUERY");
    }
}
