-- When only a person can keep a token alive past a date (no refresh token, or a refresh token
-- whose expiry ANAF does not extend on refresh): from reconnect_from on, pages and the API say
-- "reconnect before reconnect_by". Tokens stored without a refresh token get theirs now.
ALTER TABLE anaf_tokens ADD COLUMN reconnect_from TIMESTAMP;
ALTER TABLE anaf_tokens ADD COLUMN reconnect_by TIMESTAMP;
UPDATE anaf_tokens
SET reconnect_from = refresh_due_at, reconnect_by = access_expires_at
WHERE NOT has_refresh_token;
