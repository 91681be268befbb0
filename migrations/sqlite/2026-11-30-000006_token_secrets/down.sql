DROP INDEX anaf_tokens_company_status;
ALTER TABLE anaf_tokens ADD COLUMN key_version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE anaf_tokens ADD COLUMN access_token_ciphertext TEXT NOT NULL DEFAULT '';
ALTER TABLE anaf_tokens ADD COLUMN refresh_token_ciphertext TEXT;
UPDATE anaf_tokens SET
    key_version = (SELECT key_version FROM anaf_token_secrets s WHERE s.token_id = anaf_tokens.id),
    access_token_ciphertext = (SELECT access_token_ciphertext FROM anaf_token_secrets s WHERE s.token_id = anaf_tokens.id),
    refresh_token_ciphertext = (SELECT refresh_token_ciphertext FROM anaf_token_secrets s WHERE s.token_id = anaf_tokens.id);
ALTER TABLE anaf_tokens DROP COLUMN has_refresh_token;
DROP TABLE anaf_token_secrets;
ALTER TABLE users ADD COLUMN listing_version BIGINT NOT NULL DEFAULT 0;
