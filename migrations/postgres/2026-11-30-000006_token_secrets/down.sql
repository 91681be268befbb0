DROP INDEX anaf_tokens_company_status;
ALTER TABLE anaf_tokens ADD COLUMN key_version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE anaf_tokens ADD COLUMN access_token_ciphertext TEXT NOT NULL DEFAULT '';
ALTER TABLE anaf_tokens ADD COLUMN refresh_token_ciphertext TEXT;
UPDATE anaf_tokens t SET key_version = s.key_version,
    access_token_ciphertext = s.access_token_ciphertext,
    refresh_token_ciphertext = s.refresh_token_ciphertext
    FROM anaf_token_secrets s WHERE s.token_id = t.id;
ALTER TABLE anaf_tokens DROP COLUMN has_refresh_token;
DROP TABLE anaf_token_secrets;
ALTER TABLE users ADD COLUMN listing_version BIGINT NOT NULL DEFAULT 0;
