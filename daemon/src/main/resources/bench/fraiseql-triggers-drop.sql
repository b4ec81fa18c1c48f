DROP TRIGGER IF EXISTS fraiseql_comment_refresh ON tb_comment;
DROP TRIGGER IF EXISTS fraiseql_post_refresh ON tb_post;
DROP TRIGGER IF EXISTS fraiseql_user_refresh ON tb_user;
DROP FUNCTION IF EXISTS fraiseql_comment_refresh();
DROP FUNCTION IF EXISTS fraiseql_post_refresh();
DROP FUNCTION IF EXISTS fraiseql_user_refresh();
DROP FUNCTION IF EXISTS refresh_tv_post(bigint[]);
