-- What the sessions page shows of each session: the browser it started in, from where, and
-- when it was last used (written at most once a minute, with the idle deadline).
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
ALTER TABLE sessions ADD COLUMN ip TEXT;
ALTER TABLE sessions ADD COLUMN last_seen_at TIMESTAMP;
CREATE INDEX sessions_user ON sessions (user_id);

-- Single-use links that set a new password: mailed to the account's address ("forgot password",
-- issued_by NULL) or issued by a platform admin to hand over. Only the SHA-256 of the secret
-- is kept.
CREATE TABLE password_resets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret_hash TEXT NOT NULL UNIQUE,
    issued_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX password_resets_user ON password_resets (user_id, created_at);

-- A change of an account's address waits here until its owner opens the link mailed to the
-- new address. Only the SHA-256 of the secret is kept.
CREATE TABLE email_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    new_email TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX email_changes_user ON email_changes (user_id, created_at);
