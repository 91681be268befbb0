-- Each ciphertext names the key that sealed it by an id derived from the key itself, not by its
-- position in the configured list (which shifted when an older key was removed). Rows written
-- before say `position:N`; start-up replaces that with the id of the key at that position of the
-- list that wrote them (the configuration is unchanged across the upgrade).
ALTER TABLE anaf_token_secrets ADD COLUMN key_id TEXT NOT NULL DEFAULT '';
UPDATE anaf_token_secrets SET key_id = 'position:' || key_version::text;
ALTER TABLE anaf_token_secrets ALTER COLUMN key_id DROP DEFAULT;
ALTER TABLE anaf_token_secrets DROP COLUMN key_version;
