-- Authorization links: a company admin sends a single-use link to the person who holds the
-- qualified certificate, who connects ANAF through it without a portal account. Only the SHA-256
-- of the link's secret is kept. `busy_until` is held while one callback completes through the
-- link, so that a second callback (another tab) cannot exchange a code for a link being consumed.
CREATE TABLE authorization_links (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    secret_hash TEXT NOT NULL UNIQUE,
    created_by BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    note TEXT,
    sent_to TEXT,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    opened_at TIMESTAMP,
    attempted_at TIMESTAMP,
    completed_at TIMESTAMP,
    revoked_at TIMESTAMP,
    busy_until TIMESTAMP
);
CREATE INDEX authorization_links_creator ON authorization_links (created_by, id);

-- The companies a link covers, and what the last connection through it found for each:
-- `covered` (SPV rights confirmed), `no_rights` or `unknown`, with ANAF's words.
CREATE TABLE authorization_link_companies (
    link_id BIGINT NOT NULL REFERENCES authorization_links (id) ON DELETE CASCADE,
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    outcome TEXT CHECK (outcome IN ('covered', 'no_rights', 'unknown')),
    outcome_detail TEXT,
    PRIMARY KEY (link_id, company_id)
);

-- A Connect ANAF started from a link: bound to the link and to the holder's browser (the hash of
-- a random cookie), not to a portal session or user. Only the hash of `state` is kept.
CREATE TABLE link_transactions (
    state_hash TEXT PRIMARY KEY NOT NULL,
    link_id BIGINT NOT NULL REFERENCES authorization_links (id) ON DELETE CASCADE,
    browser_binding TEXT NOT NULL,
    pkce_verifier TEXT,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    consumed_at TIMESTAMP
);
CREATE INDEX link_transactions_link ON link_transactions (link_id);
