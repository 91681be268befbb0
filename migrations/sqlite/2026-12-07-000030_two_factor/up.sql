-- A person's authenticator app (TOTP, RFC 6238). The shared secret is sealed like every secret
-- (AES-256-GCM under the token vault's key `key_id`, bound to this row). Two-factor is on only
-- once a correct code confirmed the enrolment (`enabled_at`). `last_step` is the time step of
-- the last code accepted: a code counts once.
CREATE TABLE user_totp (
    user_id INTEGER PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key_id TEXT NOT NULL,
    secret_sealed TEXT NOT NULL,
    enabled_at TIMESTAMP,
    last_step BIGINT,
    created_at TIMESTAMP NOT NULL
);
-- Single-use recovery codes, only their SHA-256 kept (80 random bits each).
CREATE TABLE recovery_codes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX recovery_codes_user_id ON recovery_codes (user_id);
-- Who must use two-factor: one row, edited by a platform admin.
CREATE TABLE two_factor_policy (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    platform_admins BOOLEAN NOT NULL DEFAULT FALSE,
    support_staff BOOLEAN NOT NULL DEFAULT FALSE,
    company_admins BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at TIMESTAMP,
    updated_by BIGINT
);
INSERT INTO two_factor_policy (id) VALUES (1);
