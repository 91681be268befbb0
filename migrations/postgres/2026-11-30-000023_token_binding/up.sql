-- One-time upgrades the portal runs itself right after the SQL migrations, for work SQL cannot
-- do (re-sealing ciphertexts under new associated data). A row names an upgrade that finished:
-- it never runs again, so what it replaced (the token vault's (company, field) binding) is
-- never accepted afterwards.
CREATE TABLE data_upgrades (
    name TEXT PRIMARY KEY NOT NULL,
    done_at TIMESTAMP NOT NULL
);
