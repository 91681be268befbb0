ALTER TABLE refresh_job_items DROP COLUMN reason;
