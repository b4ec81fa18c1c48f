package io.tviewd.daemon.support;

import java.util.List;

import io.tviewd.daemon.demo.SqlWorkload.Op;

/**
 * Operations of the propagation differential test over {@code propagation/schema.sql}: every kind of
 * change that must reach tv_post, tv_user (nested) and ta_tag — inserts, updates, FK moves, soft and
 * hard deletes, junction rows, renames of embedded parents, multi-row statements and TRUNCATE.
 */
public final class PropagationWorkload {

    private static String pick(String table, String pk) {
        return "(SELECT " + pk + " FROM " + table + " WHERE " + pk + " >= (SELECT floor(random() * max(" + pk + "))::bigint FROM "
                + table + ") ORDER BY " + pk + " LIMIT 1)";
    }

    private static final String USER = pick("tb_user", "pk_user");
    private static final String POST = pick("tb_post", "pk_post");
    private static final String COMMENT = pick("tb_comment", "pk_comment");
    private static final String TAG = pick("tb_tag", "pk_tag");
    private static final String POST_TAG = pick("tb_post_tag", "pk_post_tag");

    public static final List<Op> OPS = List.of(
            new Op("insert user", "INSERT INTO tb_user (identifier, name) SELECT 'u' || u, 'User ' || left(u::text, 8) FROM gen_random_uuid() u", 3),
            new Op("rename user", "UPDATE tb_user SET name = 'Renamed ' || md5(random()::text) WHERE pk_user = " + USER, 6),
            new Op("delete user", "DELETE FROM tb_user WHERE pk_user = " + USER + " AND (SELECT count(*) FROM tb_user) > 15", 1),
            new Op("insert post", "INSERT INTO tb_post (identifier, fk_author, title, body) SELECT 'p' || gen_random_uuid(), " + USER
                    + ", 'New ' || md5(random()::text), 'b' WHERE EXISTS (SELECT 1 FROM tb_user)", 8),
            new Op("retitle post", "UPDATE tb_post SET title = 'T ' || md5(random()::text) WHERE pk_post = " + POST, 8),
            new Op("move post to another author", "UPDATE tb_post SET fk_author = " + USER + " WHERE pk_post = " + POST, 5),
            new Op("soft delete post", "UPDATE tb_post SET deleted_at = now() WHERE pk_post = " + POST, 3),
            new Op("undelete post", "UPDATE tb_post SET deleted_at = NULL WHERE pk_post = (SELECT pk_post FROM tb_post "
                    + "WHERE deleted_at IS NOT NULL ORDER BY random() LIMIT 1)", 2),
            new Op("delete post", "DELETE FROM tb_post WHERE pk_post = " + POST, 2),
            new Op("retitle posts of an author (multi-row)", "UPDATE tb_post SET title = title || '!' WHERE fk_author = " + USER, 2),
            new Op("insert comment", "INSERT INTO tb_comment (fk_post, fk_user, body) SELECT " + POST + ", " + USER
                    + ", 'c ' || md5(random()::text) WHERE EXISTS (SELECT 1 FROM tb_post)", 8),
            new Op("insert comments (multi-row)", "INSERT INTO tb_comment (fk_post, fk_user, body) SELECT p.pk_post, " + USER
                    + ", 'thread ' || g FROM (SELECT " + POST + " AS pk_post) p, generate_series(1, 4) g WHERE p.pk_post IS NOT NULL", 2),
            new Op("edit comment", "UPDATE tb_comment SET body = 'e ' || md5(random()::text) WHERE pk_comment = " + COMMENT, 5),
            new Op("move comment to another post", "UPDATE tb_comment SET fk_post = " + POST + " WHERE pk_comment = " + COMMENT, 4),
            new Op("reassign comment to another user", "UPDATE tb_comment SET fk_user = " + USER + " WHERE pk_comment = " + COMMENT, 3),
            new Op("delete comment", "DELETE FROM tb_comment WHERE pk_comment = " + COMMENT, 4),
            new Op("insert tag", "INSERT INTO tb_tag (name) VALUES ('tag ' || left(md5(random()::text), 6))", 2),
            new Op("rename tag", "UPDATE tb_tag SET name = 'tag ' || left(md5(random()::text), 6) WHERE pk_tag = " + TAG, 4),
            new Op("delete tag", "DELETE FROM tb_tag WHERE pk_tag = " + TAG + " AND (SELECT count(*) FROM tb_tag) > 8", 1),
            new Op("tag a post", "INSERT INTO tb_post_tag (fk_post, fk_tag) SELECT " + POST + ", " + TAG
                    + " WHERE EXISTS (SELECT 1 FROM tb_tag) ON CONFLICT DO NOTHING", 6),
            new Op("tag posts (multi-row)", "INSERT INTO tb_post_tag (fk_post, fk_tag) SELECT DISTINCT p.pk_post, t.pk_tag "
                    + "FROM (SELECT pk_post FROM tb_post ORDER BY random() LIMIT 3) p, (SELECT " + TAG + " AS pk_tag) t "
                    + "WHERE t.pk_tag IS NOT NULL ON CONFLICT DO NOTHING", 2),
            new Op("untag a post", "DELETE FROM tb_post_tag WHERE pk_post_tag = " + POST_TAG, 4),
            new Op("move tagging to another tag", "UPDATE tb_post_tag SET fk_tag = " + TAG + " WHERE pk_post_tag = " + POST_TAG
                    + " AND NOT EXISTS (SELECT 1 FROM tb_post_tag x WHERE x.fk_post = tb_post_tag.fk_post AND x.fk_tag = " + TAG + ")", 2));

    private PropagationWorkload() {
    }
}
