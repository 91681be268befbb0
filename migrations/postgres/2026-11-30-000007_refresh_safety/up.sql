-- When the access token falls due for a refresh: a fifth of its lifetime before expiry, at most
-- 14 days before (computed when the pair is stored; a 1-hour token is due 12 minutes early).
ALTER TABLE anaf_tokens ADD COLUMN refresh_due_at TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:00';
UPDATE anaf_tokens SET refresh_due_at = access_expires_at - INTERVAL '14 days';
ALTER TABLE anaf_tokens ALTER COLUMN refresh_due_at DROP DEFAULT;
-- When the current (or last) refresh lease was taken, and when a refresh ended without anyone
-- learning ANAF's answer (the process died, or ANAF did not answer in time): if ANAF then refuses
-- the old refresh token, that is why.
ALTER TABLE anaf_tokens ADD COLUMN refresh_started_at TIMESTAMP;
ALTER TABLE anaf_tokens ADD COLUMN refresh_interrupted_at TIMESTAMP;
CREATE INDEX anaf_tokens_refresh_due_at ON anaf_tokens (refresh_due_at);
