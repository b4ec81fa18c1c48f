-- FraiseQL-style blog schema used by `tviewd demo` and the integration tests.
-- Write tables tb_*, JSON views v_*, table-backed copies tv_*, a flat analytic pair va_post/ta_post.

CREATE TABLE tb_user (
    pk_user     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    identifier  text NOT NULL UNIQUE,
    name        text NOT NULL,
    email       text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tb_post (
    pk_post     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    identifier  text NOT NULL UNIQUE,
    fk_author   bigint NOT NULL REFERENCES tb_user (pk_user) ON DELETE CASCADE,
    title       text NOT NULL,
    body        text NOT NULL,
    published   boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tb_post_fk_author_idx ON tb_post (fk_author);

CREATE TABLE tb_comment (
    pk_comment  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    identifier  text NOT NULL UNIQUE,
    fk_post     bigint NOT NULL REFERENCES tb_post (pk_post) ON DELETE CASCADE,
    fk_user     bigint NOT NULL REFERENCES tb_user (pk_user) ON DELETE CASCADE,
    body        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tb_comment_fk_post_idx ON tb_comment (fk_post);
CREATE INDEX tb_comment_fk_user_idx ON tb_comment (fk_user);

-- Old images must carry the foreign-key columns so that deletes and FK moves reach the old parent.
ALTER TABLE tb_user REPLICA IDENTITY FULL;
ALTER TABLE tb_post REPLICA IDENTITY FULL;
ALTER TABLE tb_comment REPLICA IDENTITY FULL;

CREATE VIEW v_user AS
SELECT u.id, u.pk_user, u.identifier,
       jsonb_build_object(
           'id', u.id, 'identifier', u.identifier, 'name', u.name, 'email', u.email,
           'createdAt', u.created_at,
           'postCount', (SELECT count(*) FROM tb_post p WHERE p.fk_author = u.pk_user)) AS data
FROM tb_user u;

CREATE VIEW v_post AS
SELECT p.id, p.pk_post, p.identifier,
       jsonb_build_object(
           'id', p.id, 'identifier', p.identifier, 'title', p.title, 'body', p.body,
           'published', p.published, 'createdAt', p.created_at,
           'author', jsonb_build_object('id', u.id, 'name', u.name),
           'comments', coalesce((SELECT jsonb_agg(jsonb_build_object('id', c.id, 'body', c.body)
                                                  ORDER BY c.pk_comment)
                                 FROM tb_comment c WHERE c.fk_post = p.pk_post), '[]'::jsonb)) AS data
FROM tb_post p JOIN tb_user u ON u.pk_user = p.fk_author;

CREATE VIEW va_post AS
SELECT p.pk_post, p.id, p.fk_author, u.name AS author_name, p.title, p.published,
       (SELECT count(*) FROM tb_comment c WHERE c.fk_post = p.pk_post)::int AS comment_count,
       p.created_at
FROM tb_post p JOIN tb_user u ON u.pk_user = p.fk_author;

CREATE TABLE tv_user (
    id          uuid PRIMARY KEY,
    pk_user     bigint NOT NULL,
    identifier  text NOT NULL,
    data        jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tv_user_pk_user_idx ON tv_user (pk_user);

CREATE TABLE tv_post (
    id          uuid PRIMARY KEY,
    pk_post     bigint NOT NULL,
    identifier  text NOT NULL,
    data        jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tv_post_pk_post_idx ON tv_post (pk_post);

CREATE TABLE ta_post (
    pk_post           bigint PRIMARY KEY,
    id                uuid NOT NULL,
    fk_author         bigint NOT NULL,
    author_name       text NOT NULL,
    title             text NOT NULL,
    published         boolean NOT NULL,
    comment_count     int NOT NULL,
    created_at        timestamptz NOT NULL,
    source_updated_at timestamptz NOT NULL DEFAULT now()
);
