-- "Refresh all that are due" as work in the database: one item per token, done by whichever
-- instance's refresh engine claims it, so a job survives restarts and the death of the instance
-- that started it. `outcome` stays NULL while the item waits. No foreign key to the token: a token
-- deleted while queued leaves its item, which the engine finishes as skipped.
CREATE TABLE refresh_job_items (
    job_id INTEGER NOT NULL REFERENCES refresh_jobs (id) ON DELETE CASCADE,
    token_id INTEGER NOT NULL,
    outcome TEXT CHECK (outcome IN ('refreshed', 'failed', 'skipped')),
    PRIMARY KEY (job_id, token_id)
);
CREATE INDEX refresh_job_items_waiting ON refresh_job_items (outcome, job_id);
