-- Schema of the propagation differential test: users, posts (soft delete), comments, tags through a
-- junction table, a two-level nested tview (tv_user embeds tv_post documents) and a pg_tviews-style
-- analytic tview keyed by bigint (ta_tag).

CREATE TABLE tb_user (
    pk_user    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id         uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    identifier text NOT NULL UNIQUE,
    name       text NOT NULL
);
CREATE TABLE tb_post (
    pk_post    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id         uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    identifier text NOT NULL UNIQUE,
    fk_author  bigint NOT NULL REFERENCES tb_user (pk_user) ON DELETE CASCADE,
    title      text NOT NULL,
    body       text NOT NULL,
    deleted_at timestamptz
);
CREATE INDEX ON tb_post (fk_author);
CREATE TABLE tb_comment (
    pk_comment bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id         uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    fk_post    bigint NOT NULL REFERENCES tb_post (pk_post) ON DELETE CASCADE,
    fk_user    bigint NOT NULL REFERENCES tb_user (pk_user) ON DELETE CASCADE,
    body       text NOT NULL
);
CREATE INDEX tb_comment_fk_post_idx ON tb_comment (fk_post);
CREATE INDEX ON tb_comment (fk_user);
CREATE TABLE tb_tag (
    pk_tag     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id         uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    name       text NOT NULL
);
CREATE TABLE tb_post_tag (
    pk_post_tag bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    fk_post     bigint NOT NULL REFERENCES tb_post (pk_post) ON DELETE CASCADE,
    fk_tag      bigint NOT NULL REFERENCES tb_tag (pk_tag) ON DELETE CASCADE,
    UNIQUE (fk_post, fk_tag)
);
CREATE INDEX ON tb_post_tag (fk_tag);
ALTER TABLE tb_user REPLICA IDENTITY FULL;
ALTER TABLE tb_post REPLICA IDENTITY FULL;
ALTER TABLE tb_comment REPLICA IDENTITY FULL;
ALTER TABLE tb_tag REPLICA IDENTITY FULL;
ALTER TABLE tb_post_tag REPLICA IDENTITY FULL;

CREATE VIEW v_post AS
SELECT p.id, p.pk_post, p.fk_author,
       jsonb_build_object(
           'id', p.id, 'title', p.title, 'body', p.body,
           'author', jsonb_build_object('id', a.id, 'name', a.name),
           'comments', coalesce((SELECT jsonb_agg(jsonb_build_object('body', c.body, 'by', cu.name) ORDER BY c.pk_comment)
                                 FROM tb_comment c JOIN tb_user cu ON cu.pk_user = c.fk_user
                                 WHERE c.fk_post = p.pk_post), '[]'::jsonb),
           'tags', coalesce((SELECT jsonb_agg(t.name ORDER BY t.name, t.pk_tag)
                             FROM tb_post_tag pt JOIN tb_tag t ON t.pk_tag = pt.fk_tag
                             WHERE pt.fk_post = p.pk_post), '[]'::jsonb)) AS data
FROM tb_post p JOIN tb_user a ON a.pk_user = p.fk_author
WHERE p.deleted_at IS NULL;

CREATE TABLE tv_post (
    id         uuid PRIMARY KEY,
    pk_post    bigint NOT NULL,
    fk_author  bigint NOT NULL,
    data       jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON tv_post (pk_post);
CREATE INDEX ON tv_post (fk_author);

-- level 2: reads the tview tv_post, not the view
CREATE VIEW v_user AS
SELECT u.id, u.pk_user,
       jsonb_build_object(
           'id', u.id, 'name', u.name,
           'posts', coalesce((SELECT jsonb_agg(tp.data ORDER BY tp.pk_post) FROM tv_post tp
                              WHERE tp.fk_author = u.pk_user), '[]'::jsonb),
           'commentsWritten', (SELECT count(*) FROM tb_comment c WHERE c.fk_user = u.pk_user)) AS data
FROM tb_user u;

CREATE TABLE tv_user (
    id         uuid PRIMARY KEY,
    pk_user    bigint NOT NULL,
    data       jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON tv_user (pk_user);

-- pg_tviews style: bigint key, flat typed columns
CREATE VIEW va_tag AS
SELECT t.pk_tag, t.name,
       (SELECT count(*) FROM tb_post_tag pt JOIN tb_post p ON p.pk_post = pt.fk_post
        WHERE pt.fk_tag = t.pk_tag AND p.deleted_at IS NULL)::int AS post_count
FROM tb_tag t;

CREATE TABLE ta_tag (
    pk_tag            bigint PRIMARY KEY,
    name              text NOT NULL,
    post_count        int NOT NULL,
    source_updated_at timestamptz NOT NULL DEFAULT now()
);

-- sized so that a random workload rarely touches the same row twice: a missed change stays visible
INSERT INTO tb_user (identifier, name) SELECT 'u' || g, 'User ' || g FROM generate_series(1, 300) g;
INSERT INTO tb_post (identifier, fk_author, title, body)
SELECT 'p' || g, 1 + g % 300, 'Post ' || g, 'body ' || g FROM generate_series(1, 2000) g;
INSERT INTO tb_comment (fk_post, fk_user, body) SELECT 1 + g % 2000, 1 + (g * 7) % 300, 'c' || g FROM generate_series(1, 4000) g;
INSERT INTO tb_tag (name) SELECT 'tag' || g FROM generate_series(1, 200) g;
INSERT INTO tb_post_tag (fk_post, fk_tag) SELECT DISTINCT 1 + (g * 13) % 2000, 1 + g % 200 FROM generate_series(1, 3000) g;
