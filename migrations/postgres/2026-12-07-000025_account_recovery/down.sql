DROP TABLE email_changes;
DROP TABLE password_resets;
DROP INDEX sessions_user;
ALTER TABLE sessions DROP COLUMN last_seen_at;
ALTER TABLE sessions DROP COLUMN ip;
ALTER TABLE sessions DROP COLUMN user_agent;
