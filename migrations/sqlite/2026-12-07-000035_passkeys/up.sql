-- Passkeys (WebAuthn credentials) of a person: a second factor after the password, and a
-- sign-in without one. `passkey` is webauthn-rs's record of the credential as JSON: its public
-- key, algorithm and signature counter (nothing secret). `user_handle` is the random WebAuthn
-- user id the person's authenticators hold (the same on every row of one person).
CREATE TABLE passkeys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_handle TEXT NOT NULL,
    credential_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    passkey TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP
);
CREATE INDEX passkeys_user_id ON passkeys (user_id);
