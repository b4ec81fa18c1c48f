-- Benchmark data, parameters substituted by BenchDataset: user 1 is the hot author of :hot posts; the
-- probe user and post (identifier 'probe') are written only by the freshness probe.
INSERT INTO tb_user (pk_user, identifier, name, email)
SELECT g, 'user-' || g, 'User ' || g, 'user' || g || '@example.com' FROM generate_series(1, :users) g;
INSERT INTO tb_user (pk_user, identifier, name, email) VALUES (:users + 1, 'probe', 'Probe', 'probe@example.com');

INSERT INTO tb_post (pk_post, identifier, fk_author, title, body)
SELECT g, 'post-' || g, CASE WHEN g <= :hot THEN 1 ELSE 2 + (g::bigint * 7919) % (:users - 1) END,
       'Post ' || g, repeat('lorem ipsum ', 1 + g % 20)
FROM generate_series(1, :posts) g;
INSERT INTO tb_post (pk_post, identifier, fk_author, title, body) VALUES (:posts + 1, 'probe', :users + 1, 'probe-0', 'probe');

INSERT INTO tb_comment (pk_comment, fk_post, fk_user, body)
SELECT g, 1 + (g::bigint * 104729) % :posts, 1 + (g::bigint * 31) % :users, 'Comment ' || g
FROM generate_series(1, :comments) g;

SELECT setval(pg_get_serial_sequence('tb_user', 'pk_user'), :users + 1);
SELECT setval(pg_get_serial_sequence('tb_post', 'pk_post'), :posts + 1);
SELECT setval(pg_get_serial_sequence('tb_comment', 'pk_comment'), greatest(:comments, 1));

INSERT INTO tv_post (id, pk_post, identifier, data) SELECT id, pk_post, identifier, data FROM v_post;
ANALYZE;
