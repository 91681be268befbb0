-- The refresh engine's bookkeeping for transient failures (timeouts, 5xx, 429, dropped connections):
-- when to try again (exponential backoff, ANAF's Retry-After obeyed), since when the current run of
-- failures lasts (past ANAF_PORTAL_REFRESH_FAILING_AFTER the token is flagged "refresh failing"),
-- how many tries it took, whether it is flagged "refresh failing", and when a failure was last
-- written to the audit log (once a day, not once per try). A successful refresh clears them all.
ALTER TABLE anaf_tokens ADD COLUMN next_attempt_at TIMESTAMP;
ALTER TABLE anaf_tokens ADD COLUMN failing_since TIMESTAMP;
ALTER TABLE anaf_tokens ADD COLUMN failed_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE anaf_tokens ADD COLUMN refresh_failing BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE anaf_tokens ADD COLUMN failure_noted_at TIMESTAMP;
