-- A token belongs to the certificate it came from and serves every company it is attached to;
-- a company is served by one token at most. `anaf_tokens.company_id` stays as the company the
-- token was first connected for (its ciphertexts are bound to that id), no longer unique. SPV
-- rights are a fact of a certificate and a CIF, so they move to the attachment.
--
-- SQLite cannot drop a column's UNIQUE: the table is rebuilt. Its one child table
-- (`anaf_token_secrets`) is copied aside first, so that dropping the old table cascades nowhere.
CREATE TABLE anaf_tokens_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    fingerprint TEXT NOT NULL UNIQUE,
    access_expires_at TIMESTAMP NOT NULL,
    refresh_expires_at TIMESTAMP,
    issued_at TIMESTAMP,
    certificate_serial TEXT,
    certificate_issuer TEXT,
    certificate_holder TEXT,
    status TEXT NOT NULL CHECK (status IN ('active', 'reconnect_needed')),
    last_refreshed_at TIMESTAMP,
    last_error TEXT,
    last_error_at TIMESTAMP,
    refreshing_until TIMESTAMP,
    source TEXT NOT NULL CHECK (source IN ('oauth', 'api')),
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    has_refresh_token BOOLEAN NOT NULL DEFAULT FALSE,
    refresh_due_at TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:00',
    refresh_started_at TIMESTAMP,
    refresh_interrupted_at TIMESTAMP,
    next_attempt_at TIMESTAMP,
    failing_since TIMESTAMP,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    refresh_failing BOOLEAN NOT NULL DEFAULT FALSE,
    failure_noted_at TIMESTAMP,
    reconnect_from TIMESTAMP,
    reconnect_by TIMESTAMP
);
INSERT INTO anaf_tokens_new (id, company_id, fingerprint, access_expires_at, refresh_expires_at,
        issued_at, certificate_serial, certificate_issuer, certificate_holder, status,
        last_refreshed_at, last_error, last_error_at, refreshing_until, source, created_by,
        created_at, has_refresh_token, refresh_due_at, refresh_started_at, refresh_interrupted_at,
        next_attempt_at, failing_since, failed_attempts, refresh_failing, failure_noted_at,
        reconnect_from, reconnect_by)
    SELECT id, company_id, fingerprint, access_expires_at, refresh_expires_at, issued_at,
        certificate_serial, certificate_issuer, certificate_holder, status, last_refreshed_at,
        last_error, last_error_at, refreshing_until, source, created_by, created_at,
        has_refresh_token, refresh_due_at, refresh_started_at, refresh_interrupted_at,
        next_attempt_at, failing_since, failed_attempts, refresh_failing, failure_noted_at,
        reconnect_from, reconnect_by
    FROM anaf_tokens;
-- Ids of deleted tokens are never given again (the audit log names them).
UPDATE sqlite_sequence SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'anaf_tokens')
    WHERE name = 'anaf_tokens_new';

CREATE TEMP TABLE attachments_copy AS
    SELECT company_id, id AS token_id, rights, rights_detail, rights_checked_at,
        rights_probe_due_at, created_at AS attached_at, created_by AS attached_by
    FROM anaf_tokens;
CREATE TEMP TABLE secrets_copy AS
    SELECT token_id, key_id, access_token_ciphertext, refresh_token_ciphertext
    FROM anaf_token_secrets;
DROP TABLE anaf_token_secrets;
DROP TABLE anaf_tokens;
ALTER TABLE anaf_tokens_new RENAME TO anaf_tokens;

CREATE TABLE anaf_token_secrets (
    token_id INTEGER PRIMARY KEY NOT NULL REFERENCES anaf_tokens (id) ON DELETE CASCADE,
    key_id TEXT NOT NULL,
    access_token_ciphertext TEXT NOT NULL,
    refresh_token_ciphertext TEXT
);
INSERT INTO anaf_token_secrets (token_id, key_id, access_token_ciphertext, refresh_token_ciphertext)
    SELECT token_id, key_id, access_token_ciphertext, refresh_token_ciphertext FROM secrets_copy;

-- Which token serves each company, with the certificate's SPV rights on the company's CIF.
CREATE TABLE company_tokens (
    company_id INTEGER PRIMARY KEY NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    token_id INTEGER NOT NULL REFERENCES anaf_tokens (id) ON DELETE CASCADE,
    rights TEXT NOT NULL CHECK (rights IN ('unknown', 'granted', 'denied')),
    rights_detail TEXT,
    rights_checked_at TIMESTAMP,
    rights_probe_due_at TIMESTAMP,
    attached_at TIMESTAMP NOT NULL,
    attached_by INTEGER REFERENCES users (id) ON DELETE SET NULL
);
INSERT INTO company_tokens SELECT * FROM attachments_copy;
DROP TABLE attachments_copy;
DROP TABLE secrets_copy;

-- Companies a token does not serve but whose CIF its certificate has SPV rights for, as a probe
-- found ("this certificate also has rights for …, attach?").
CREATE TABLE token_offers (
    token_id INTEGER NOT NULL REFERENCES anaf_tokens (id) ON DELETE CASCADE,
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    checked_at TIMESTAMP NOT NULL,
    PRIMARY KEY (token_id, company_id)
);

CREATE INDEX anaf_tokens_access_expires_at ON anaf_tokens (access_expires_at);
CREATE INDEX anaf_tokens_status ON anaf_tokens (status, access_expires_at);
CREATE INDEX anaf_tokens_refresh_due_at ON anaf_tokens (refresh_due_at);
CREATE INDEX anaf_tokens_company_id ON anaf_tokens (company_id);
CREATE INDEX company_tokens_token_id ON company_tokens (token_id);
CREATE INDEX company_tokens_rights_probe_due_at ON company_tokens (rights_probe_due_at);
CREATE INDEX token_offers_company_id ON token_offers (company_id);
