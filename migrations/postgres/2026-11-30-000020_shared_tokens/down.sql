DROP TABLE token_offers;
DELETE FROM anaf_tokens WHERE id NOT IN (
    SELECT t.id FROM anaf_tokens t JOIN company_tokens c ON c.token_id = t.id AND c.company_id = t.company_id
);
ALTER TABLE anaf_tokens ADD COLUMN rights TEXT NOT NULL DEFAULT 'unknown'
    CHECK (rights IN ('unknown', 'granted', 'denied'));
ALTER TABLE anaf_tokens ADD COLUMN rights_detail TEXT;
ALTER TABLE anaf_tokens ADD COLUMN rights_checked_at TIMESTAMP;
ALTER TABLE anaf_tokens ADD COLUMN rights_probe_due_at TIMESTAMP;
UPDATE anaf_tokens t SET rights = c.rights, rights_detail = c.rights_detail,
    rights_checked_at = c.rights_checked_at, rights_probe_due_at = c.rights_probe_due_at
    FROM company_tokens c WHERE c.token_id = t.id;
DROP TABLE company_tokens;
DROP INDEX anaf_tokens_company_id;
ALTER TABLE anaf_tokens ADD CONSTRAINT anaf_tokens_company_id_key UNIQUE (company_id);
CREATE INDEX anaf_tokens_rights_probe_due_at ON anaf_tokens (rights_probe_due_at);
CREATE INDEX anaf_tokens_company_status ON anaf_tokens (company_id, status, rights, access_expires_at);
