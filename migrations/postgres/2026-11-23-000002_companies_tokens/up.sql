CREATE TABLE companies (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cif TEXT NOT NULL UNIQUE,
    name TEXT,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX companies_name ON companies (name);

CREATE TABLE company_members (
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'viewer')),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (company_id, user_id)
);
CREATE INDEX company_members_user_id ON company_members (user_id, company_id);

-- One current token pair per company. Secrets are AES-256-GCM ciphertexts (base64 of nonce and
-- ciphertext) under key `key_version`; `fingerprint` is the SHA-256 of the access token, to refuse
-- duplicates without decrypting anything.
CREATE TABLE anaf_tokens (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company_id BIGINT NOT NULL UNIQUE REFERENCES companies (id) ON DELETE CASCADE,
    key_version INTEGER NOT NULL,
    access_token_ciphertext TEXT NOT NULL,
    refresh_token_ciphertext TEXT,
    fingerprint TEXT NOT NULL UNIQUE,
    access_expires_at TIMESTAMP NOT NULL,
    refresh_expires_at TIMESTAMP,
    issued_at TIMESTAMP,
    certificate_serial TEXT,
    certificate_issuer TEXT,
    status TEXT NOT NULL CHECK (status IN ('active', 'reconnect_needed')),
    rights TEXT NOT NULL CHECK (rights IN ('unknown', 'granted', 'denied')),
    rights_detail TEXT,
    rights_checked_at TIMESTAMP,
    last_refreshed_at TIMESTAMP,
    last_error TEXT,
    last_error_at TIMESTAMP,
    refreshing_until TIMESTAMP,
    source TEXT NOT NULL CHECK (source IN ('oauth', 'api')),
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX anaf_tokens_access_expires_at ON anaf_tokens (access_expires_at);

-- A pending Connect ANAF: the state's SHA-256, bound to the session, user and company; single-use.
CREATE TABLE oauth_transactions (
    state_hash TEXT PRIMARY KEY NOT NULL,
    session_binding TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    pkce_verifier TEXT,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    consumed_at TIMESTAMP
);
CREATE INDEX oauth_transactions_expires_at ON oauth_transactions (expires_at);

-- Who did what, when, with which outcome. No foreign keys: history outlives what it describes.
CREATE TABLE audit_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at TIMESTAMP NOT NULL,
    actor_user_id BIGINT,
    action TEXT NOT NULL,
    company_id BIGINT,
    token_id BIGINT,
    outcome TEXT NOT NULL CHECK (outcome IN ('success', 'failure')),
    ip TEXT,
    user_agent TEXT,
    detail TEXT
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_company ON audit_events (company_id, at);
CREATE INDEX audit_events_actor ON audit_events (actor_user_id, at);
