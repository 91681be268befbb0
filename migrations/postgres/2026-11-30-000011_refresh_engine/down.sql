ALTER TABLE anaf_tokens DROP COLUMN refresh_failing;
ALTER TABLE anaf_tokens DROP COLUMN failure_noted_at;
ALTER TABLE anaf_tokens DROP COLUMN failed_attempts;
ALTER TABLE anaf_tokens DROP COLUMN failing_since;
ALTER TABLE anaf_tokens DROP COLUMN next_attempt_at;
