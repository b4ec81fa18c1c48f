-- The FraiseQL way without tviewd, for comparison: row triggers that call refresh_tv_post(keys) in the
-- writer's transaction (installed and dropped by tviewd bench).
CREATE FUNCTION refresh_tv_post(keys bigint[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO tv_post (id, pk_post, identifier, data, updated_at)
    SELECT v.id, v.pk_post, v.identifier, v.data, now() FROM v_post v WHERE v.pk_post = ANY(keys)
    ON CONFLICT (id) DO UPDATE SET identifier = EXCLUDED.identifier, data = EXCLUDED.data, updated_at = now()
$$;

CREATE FUNCTION fraiseql_comment_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_tv_post(ARRAY[CASE WHEN TG_OP = 'DELETE' THEN OLD.fk_post ELSE NEW.fk_post END]);
    RETURN NULL;
END $$;
CREATE TRIGGER fraiseql_comment_refresh AFTER INSERT OR UPDATE OR DELETE ON tb_comment
    FOR EACH ROW EXECUTE FUNCTION fraiseql_comment_refresh();

CREATE FUNCTION fraiseql_post_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_tv_post(ARRAY[CASE WHEN TG_OP = 'DELETE' THEN OLD.pk_post ELSE NEW.pk_post END]);
    RETURN NULL;
END $$;
CREATE TRIGGER fraiseql_post_refresh AFTER INSERT OR UPDATE ON tb_post
    FOR EACH ROW EXECUTE FUNCTION fraiseql_post_refresh();

CREATE FUNCTION fraiseql_user_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_tv_post(ARRAY(SELECT p.pk_post FROM tb_post p WHERE p.fk_author = NEW.pk_user
                                  UNION SELECT c.fk_post FROM tb_comment c WHERE c.fk_user = NEW.pk_user));
    RETURN NULL;
END $$;
CREATE TRIGGER fraiseql_user_refresh AFTER UPDATE ON tb_user
    FOR EACH ROW EXECUTE FUNCTION fraiseql_user_refresh();
