package io.tviewd.daemon;

import static io.tviewd.daemon.support.Sql.exec;
import static io.tviewd.daemon.support.Sql.session;
import static io.tviewd.daemon.support.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tviewd.config.DatabaseConfig;
import io.tviewd.daemon.cli.Main;
import io.tviewd.daemon.support.Cli;
import io.tviewd.daemon.support.TestDatabase;

/** {@code tviewd check}: the read-only preflight report and its exit code. */
class CheckIT {

    @Test
    void check_reportsPlanProblemsAndFixes_withoutChangingTheDatabase(@TempDir Path dir) throws Exception {
        DatabaseConfig db = TestDatabase.get().createDatabase("check");
        try (Connection c = session(db); InputStream schema = CheckIT.class.getResourceAsStream("/propagation/schema.sql")) {
            exec(c, new String(schema.readAllBytes(), StandardCharsets.UTF_8));
            exec(c, """
                    DROP INDEX tb_comment_fk_user_idx;
                    CREATE TABLE tb_box (pk_box bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                                         id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(), label text NOT NULL);
                    CREATE TABLE tb_box_item (pk_box_item bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                                              fk_box bigint NOT NULL REFERENCES tb_box (pk_box), name text NOT NULL);
                    CREATE VIEW v_box AS SELECT b.id, jsonb_build_object('label', b.label,
                        'items', (SELECT count(*) FROM tb_box_item i WHERE i.fk_box = b.pk_box)) AS data FROM tb_box b;
                    CREATE TABLE tv_box (id uuid PRIMARY KEY, data jsonb NOT NULL);
                    """);
        }
        Path cfg = dir.resolve("tviewd.yaml");
        Files.writeString(cfg, "database:\n  url: " + db.url() + "\n  user: " + db.user() + "\n  password: \"" + db.password().reveal()
                + "\"\ncdc:\n  slot-name: check_slot\n  publication-name: check_pub\n");

        Cli.Result first = check(cfg);
        assertThat(first.code()).as(first.out()).isEqualTo(Main.EXIT_FAILURE);
        assertThat(first.out())
                .contains("OK    wal_level = logical")
                .contains("WARN  user postgres is a superuser: views, functions and triggers tviewd runs would act with every right")
                .contains("INFO  replication slot 'check_slot' does not exist: created at first run")
                .contains("INFO  publication 'check_pub' does not exist: created at first run")
                .contains("OK    tview public.tv_post: key id (uuid), source public.v_post, refresh order ")
                .contains("OK    tview public.tv_user: key id (uuid), source public.v_user, refresh order")
                .contains("after [public.tv_post]")
                .contains("OK    tview public.ta_tag: key pk_tag (bigint), source public.va_tag")
                .contains("INFO      multi-hop: keys = SELECT DISTINCT t2.\"id\"::text FROM \"public\".\"tb_post_tag\" t1 JOIN \"public\".\"tb_post\" t2")
                .contains("INFO      child: keys = SELECT DISTINCT t1.\"id\"::text FROM \"public\".\"tb_post\" t1 WHERE t1.\"pk_post\" = ANY($fk_post::bigint[])")
                .contains("INFO    use public.tb_user AS cu (in v_post › scalar subquery): multi-hop tb_user.pk_user → tb_comment.fk_user"
                        + " / fk_post → tb_post.pk_post → key id")
                .contains("WARN      missing index for lookups: CREATE INDEX CONCURRENTLY ON \"public\".\"tb_comment\" (\"fk_user\");")
                .contains("FAIL  tview public.tv_box refused: Tview public.tv_box: mapping root reads public.tb_box.id from the old row image, "
                        + "but public.tb_box has REPLICA IDENTITY DEFAULT (old images carry only [pk_box]), so deletes and moves to another parent would be missed: "
                        + "run ALTER TABLE \"public\".\"tb_box\" REPLICA IDENTITY FULL;")
                .contains("Something blocks CDC refresh");

        try (Connection c = session(db)) {
            assertThat(text(c, "SELECT count(*)::text FROM pg_replication_slots WHERE slot_name = 'check_slot'")).isEqualTo("0");
            assertThat(text(c, "SELECT count(*)::text FROM pg_publication WHERE pubname = 'check_pub'")).isEqualTo("0");
            exec(c, "ALTER TABLE tb_box REPLICA IDENTITY FULL; ALTER TABLE tb_box_item REPLICA IDENTITY FULL");
        }
        Cli.Result second = check(cfg);
        assertThat(second.code()).as(second.out()).isEqualTo(Main.EXIT_OK);
        assertThat(second.out()).contains("OK    tview public.tv_box").contains("Ready for CDC refresh.");
    }

    private static Cli.Result check(Path cfg) {
        return Cli.run("check", "--config", cfg.toString());
    }
}
