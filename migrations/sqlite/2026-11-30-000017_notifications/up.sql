-- What happened to a token that someone may need to hear about, one row per event, written by
-- the services that cause it. An event outlives its token and company (token.deleted), so it
-- names them instead of referring to them. dedupe_key makes an event that must be said once
-- (a failing run, a threshold before a date) idempotent. user_id addresses an event to one
-- person (their webhook endpoint was disabled); otherwise it goes to the company's members.
-- dispatched_at: fanned out to notifications, the mail outbox and webhook deliveries.
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    company_id INTEGER NOT NULL,
    cif TEXT NOT NULL,
    company_name TEXT,
    token_id INTEGER,
    user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
    cause TEXT,
    detail TEXT,
    act_by TIMESTAMP,
    dedupe_key TEXT UNIQUE,
    created_at TIMESTAMP NOT NULL,
    dispatched_at TIMESTAMP
);
CREATE INDEX events_undispatched ON events (id) WHERE dispatched_at IS NULL;
CREATE INDEX events_company ON events (company_id, id);

-- Each person's copy of an event (the bell). digest_pending: waiting for their daily digest.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    event_id INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    read_at TIMESTAMP,
    digest_pending BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (user_id, event_id)
);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;
CREATE INDEX notifications_digest ON notifications (user_id) WHERE digest_pending;

-- How each person wants email: 'immediate', 'digest' or 'off', and in which language.
ALTER TABLE users ADD COLUMN email_notifications TEXT NOT NULL DEFAULT 'immediate'
    CHECK (email_notifications IN ('immediate', 'digest', 'off'));
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT 'ro';
ALTER TABLE users ADD COLUMN last_digest_at TIMESTAMP;

-- Email waiting to be sent, rendered when queued (no token value is ever in one). A row is sent
-- by whichever instance claims it (claimed_until), retried with backoff, kept once sent.
-- dedupe_key keeps a second mail about the same thing from being queued (one per token and
-- person a day, one digest a day).
CREATE TABLE mail_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
    recipient TEXT NOT NULL,
    kind TEXT NOT NULL,
    event_id INTEGER REFERENCES events (id) ON DELETE SET NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    dedupe_key TEXT UNIQUE,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE status = 'pending';

-- Where a company's events are posted (Standard Webhooks). The signing secret is sealed by the
-- token vault like a token. failing_since: the first failed delivery since the last success;
-- an endpoint failing for 5 days is disabled.
CREATE TABLE webhook_endpoints (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    description TEXT,
    secret_ciphertext TEXT NOT NULL,
    key_id TEXT NOT NULL,
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    failing_since TIMESTAMP,
    disabled_at TIMESTAMP,
    disabled_reason TEXT
);
CREATE INDEX webhook_endpoints_company ON webhook_endpoints (company_id);

-- One event for one endpoint; message_id is the webhook-id header, the same on every attempt.
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint_id INTEGER NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    message_id TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);

-- Every attempt of a delivery: what the endpoint answered (an excerpt), how fast.
CREATE TABLE webhook_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempted_at TIMESTAMP NOT NULL,
    http_status INTEGER,
    duration_ms INTEGER NOT NULL,
    error TEXT,
    response_excerpt TEXT
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);
