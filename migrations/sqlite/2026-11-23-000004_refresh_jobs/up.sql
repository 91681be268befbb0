-- "Refresh all that expire soon": one row per job, progress counted as it runs.
CREATE TABLE refresh_jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    total INTEGER NOT NULL,
    succeeded INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
CREATE INDEX refresh_jobs_user_id ON refresh_jobs (user_id);
CREATE INDEX users_role ON users (role);
CREATE INDEX audit_events_action ON audit_events (action, at);
CREATE INDEX anaf_tokens_status ON anaf_tokens (status, access_expires_at);
