package io.tviewd.connectors.postgres.plan;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ViewTextTest {

    /** pg_get_viewdef text of a view that uses tb_comment AS c twice: correlated, and in a global top-N derived table. */
    private static final String DEF = """
             SELECT p.id,
                jsonb_build_object('bodies', ( SELECT jsonb_agg(c.body) AS jsonb_agg
                       FROM tb_comment c
                      WHERE c.fk_post = p.pk_post), 'recent', ( SELECT count(*) AS count
                       FROM ( SELECT c.fk_post
                               FROM tb_comment c
                              ORDER BY c.created DESC
                             LIMIT 5) t
                      WHERE t.fk_post = p.pk_post)) AS data
               FROM tb_post p;""";

    @Test
    void aUseInsideANamedDerivedTable_getsThatDerivedTable_notTheFirstUseOfTheSameAlias() {
        assertThat(ViewText.around(DEF, "tb_comment", "c", "v_post › scalar subquery › subquery t in FROM"))
                .hasValue("(SELECT c.fk_post FROM tb_comment c ORDER BY c.created DESC LIMIT 5)");
        assertThat(ViewText.around(DEF, "tb_comment", "c", "v_post › scalar subquery"))
                .hasValue("(SELECT jsonb_agg(c.body) AS jsonb_agg FROM tb_comment c WHERE c.fk_post = p.pk_post)");
    }

    @Test
    void aTableWithoutAlias_andOneNotInTheText() {
        assertThat(ViewText.around(DEF, "tb_post", "p", "v_post")).get().asString().contains("FROM tb_post p");
        assertThat(ViewText.around(DEF, "tb_user", "u", "v_post")).isEmpty();
    }
}
