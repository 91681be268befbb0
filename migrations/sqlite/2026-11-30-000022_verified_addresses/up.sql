-- A person's email address is trusted (invitations, notifications, the sender of an
-- authorization link) only once its owner has opened a link mailed to it. Accounts made before
-- this existed never proved their address: they start unverified.
ALTER TABLE users ADD COLUMN email_verified_at TIMESTAMP;

-- Single-use links that prove a mailbox: only the SHA-256 of the secret is kept. `email` is the
-- address the link was mailed to (an account's current one, or the one it changes to).
CREATE TABLE email_verifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX email_verifications_user ON email_verifications (user_id, created_at);

-- Sandbox mode without SMTP: every mail the portal would have sent, for its own page.
CREATE TABLE sandbox_mails (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- A token serves only companies whose token users could already use it (see docs/security.md).
-- Until now a probe after a connection attached the token to other companies of the connecting
-- person's fellow admins, so a stranger who made a record of a certificate's CIF and invited the
-- accountant there gained the token. Each token keeps its first attachment (the company it was
-- connected for); another is detached when one of its admins is not an admin of that first one.
CREATE TEMPORARY TABLE first_attachments AS
    SELECT ct.token_id, MIN(ct.company_id) AS company_id
    FROM company_tokens ct
    WHERE ct.attached_at = (SELECT MIN(o.attached_at) FROM company_tokens o WHERE o.token_id = ct.token_id)
    GROUP BY ct.token_id;
CREATE TEMPORARY TABLE breaking_attachments AS
    SELECT ct.company_id, ct.token_id, c.cif, c.name
    FROM company_tokens ct
    JOIN first_attachments f ON f.token_id = ct.token_id
    JOIN companies c ON c.id = ct.company_id
    WHERE ct.company_id <> f.company_id
      AND EXISTS (
        SELECT 1 FROM company_members m
        WHERE m.company_id = ct.company_id AND m.role = 'admin'
          AND NOT EXISTS (
            SELECT 1 FROM company_members fm
            WHERE fm.company_id = f.company_id AND fm.user_id = m.user_id AND fm.role = 'admin'));
INSERT INTO audit_events (at, actor_user_id, action, company_id, token_id, outcome, detail)
    SELECT CURRENT_TIMESTAMP, NULL, 'token.detached', company_id, token_id, 'success',
        'detached at upgrade: an admin of this company could not use the token through the company it was connected for'
    FROM breaking_attachments;
INSERT INTO events (kind, company_id, cif, company_name, token_id, cause, created_at)
    SELECT 'token.detached', company_id, cif, name, token_id, 'upgrade', CURRENT_TIMESTAMP
    FROM breaking_attachments;
DELETE FROM company_tokens
    WHERE EXISTS (SELECT 1 FROM breaking_attachments b
                  WHERE b.company_id = company_tokens.company_id AND b.token_id = company_tokens.token_id);
DROP TABLE breaking_attachments;
DROP TABLE first_attachments;
