DROP INDEX anaf_tokens_refresh_due_at;
ALTER TABLE anaf_tokens DROP COLUMN refresh_interrupted_at;
ALTER TABLE anaf_tokens DROP COLUMN refresh_started_at;
ALTER TABLE anaf_tokens DROP COLUMN refresh_due_at;
