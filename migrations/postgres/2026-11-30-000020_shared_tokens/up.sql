-- A token belongs to the certificate it came from and serves every company it is attached to;
-- a company is served by one token at most. `anaf_tokens.company_id` stays as the company the
-- token was first connected for (its ciphertexts are bound to that id), no longer unique. SPV
-- rights are a fact of a certificate and a CIF, so they move to the attachment.
CREATE TABLE company_tokens (
    company_id BIGINT PRIMARY KEY REFERENCES companies (id) ON DELETE CASCADE,
    token_id BIGINT NOT NULL REFERENCES anaf_tokens (id) ON DELETE CASCADE,
    rights TEXT NOT NULL CHECK (rights IN ('unknown', 'granted', 'denied')),
    rights_detail TEXT,
    rights_checked_at TIMESTAMP,
    rights_probe_due_at TIMESTAMP,
    attached_at TIMESTAMP NOT NULL,
    attached_by BIGINT REFERENCES users (id) ON DELETE SET NULL
);
INSERT INTO company_tokens
    SELECT company_id, id, rights, rights_detail, rights_checked_at, rights_probe_due_at,
        created_at, created_by
    FROM anaf_tokens;

-- Companies a token does not serve but whose CIF its certificate has SPV rights for, as a probe
-- found ("this certificate also has rights for …, attach?").
CREATE TABLE token_offers (
    token_id BIGINT NOT NULL REFERENCES anaf_tokens (id) ON DELETE CASCADE,
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    checked_at TIMESTAMP NOT NULL,
    PRIMARY KEY (token_id, company_id)
);

DROP INDEX anaf_tokens_company_status;
DROP INDEX anaf_tokens_rights_probe_due_at;
ALTER TABLE anaf_tokens DROP CONSTRAINT anaf_tokens_company_id_key;
ALTER TABLE anaf_tokens DROP COLUMN rights;
ALTER TABLE anaf_tokens DROP COLUMN rights_detail;
ALTER TABLE anaf_tokens DROP COLUMN rights_checked_at;
ALTER TABLE anaf_tokens DROP COLUMN rights_probe_due_at;
CREATE INDEX anaf_tokens_company_id ON anaf_tokens (company_id);
CREATE INDEX company_tokens_token_id ON company_tokens (token_id);
CREATE INDEX company_tokens_rights_probe_due_at ON company_tokens (rights_probe_due_at);
CREATE INDEX token_offers_company_id ON token_offers (company_id);
