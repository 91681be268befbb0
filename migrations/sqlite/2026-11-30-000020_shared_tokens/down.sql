-- Back to one token per company: each company keeps the token that serves it when that token was
-- first connected for it; other tokens go. Rights return to the token row.
DROP TABLE token_offers;
DELETE FROM anaf_tokens WHERE id NOT IN (
    SELECT t.id FROM anaf_tokens t JOIN company_tokens c ON c.token_id = t.id AND c.company_id = t.company_id
);
ALTER TABLE anaf_tokens ADD COLUMN rights TEXT NOT NULL DEFAULT 'unknown'
    CHECK (rights IN ('unknown', 'granted', 'denied'));
ALTER TABLE anaf_tokens ADD COLUMN rights_detail TEXT;
ALTER TABLE anaf_tokens ADD COLUMN rights_checked_at TIMESTAMP;
ALTER TABLE anaf_tokens ADD COLUMN rights_probe_due_at TIMESTAMP;
UPDATE anaf_tokens SET
    rights = (SELECT rights FROM company_tokens c WHERE c.token_id = anaf_tokens.id),
    rights_detail = (SELECT rights_detail FROM company_tokens c WHERE c.token_id = anaf_tokens.id),
    rights_checked_at = (SELECT rights_checked_at FROM company_tokens c WHERE c.token_id = anaf_tokens.id),
    rights_probe_due_at = (SELECT rights_probe_due_at FROM company_tokens c WHERE c.token_id = anaf_tokens.id);
DROP TABLE company_tokens;
DROP INDEX anaf_tokens_company_id;
CREATE UNIQUE INDEX anaf_tokens_company_id ON anaf_tokens (company_id);
CREATE INDEX anaf_tokens_rights_probe_due_at ON anaf_tokens (rights_probe_due_at);
