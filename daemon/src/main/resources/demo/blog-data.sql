-- Sample data for the demo blog: parameters are substituted by BlogSchema (users, posts, comments).
INSERT INTO tb_user (identifier, name, email)
SELECT 'user-' || g, 'User ' || g, 'user' || g || '@example.com' FROM generate_series(1, :users) g;

INSERT INTO tb_post (identifier, fk_author, title, body, published)
SELECT 'post-' || g, 1 + (g * 7919) % :users, 'Post ' || g, repeat('lorem ipsum ', 1 + g % 20), g % 3 = 0
FROM generate_series(1, :posts) g;

INSERT INTO tb_comment (identifier, fk_post, fk_user, body)
SELECT 'comment-' || g, 1 + (g * 104729) % :posts, 1 + (g * 31) % :users, 'Comment ' || g
FROM generate_series(1, :comments) g;
