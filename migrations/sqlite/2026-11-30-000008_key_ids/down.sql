-- Positions cannot be recovered from ids: a down migration leaves every row at position 1 unless
-- it still carried its position.
ALTER TABLE anaf_token_secrets ADD COLUMN key_version INTEGER NOT NULL DEFAULT 1;
UPDATE anaf_token_secrets SET key_version = CAST(substr(key_id, 10) AS INTEGER)
    WHERE key_id LIKE 'position:%';
ALTER TABLE anaf_token_secrets DROP COLUMN key_id;
