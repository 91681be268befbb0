-- Pages and the API read plain indexed queries now: the per-user listing counter and the
-- triggers that maintained it for the in-memory lists are gone.
DROP TRIGGER company_members_listing ON company_members;
DROP FUNCTION company_members_listing();
DROP TRIGGER companies_listing_update ON companies;
DROP TRIGGER companies_listing_delete ON companies;
DROP FUNCTION companies_listing();
DROP TRIGGER anaf_tokens_listing ON anaf_tokens;
DROP FUNCTION anaf_tokens_listing();
DROP FUNCTION bump_listing_version_of_members(BIGINT);
ALTER TABLE users DROP COLUMN listing_version;

-- The two ciphertexts live in their own table, one row per token: every list reads narrow
-- `anaf_tokens` rows, and only the token service reads secrets.
CREATE TABLE anaf_token_secrets (
    token_id BIGINT PRIMARY KEY REFERENCES anaf_tokens (id) ON DELETE CASCADE,
    key_version INTEGER NOT NULL,
    access_token_ciphertext TEXT NOT NULL,
    refresh_token_ciphertext TEXT
);
INSERT INTO anaf_token_secrets (token_id, key_version, access_token_ciphertext, refresh_token_ciphertext)
    SELECT id, key_version, access_token_ciphertext, refresh_token_ciphertext FROM anaf_tokens;
ALTER TABLE anaf_tokens ADD COLUMN has_refresh_token BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE anaf_tokens SET has_refresh_token = (refresh_token_ciphertext IS NOT NULL);
ALTER TABLE anaf_tokens DROP COLUMN key_version;
ALTER TABLE anaf_tokens DROP COLUMN access_token_ciphertext;
ALTER TABLE anaf_tokens DROP COLUMN refresh_token_ciphertext;

-- Status counts and lists of a user's companies read only these columns of each token.
CREATE INDEX anaf_tokens_company_status ON anaf_tokens (company_id, status, rights, access_expires_at);
