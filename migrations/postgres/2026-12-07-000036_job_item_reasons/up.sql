-- Why an item of a "refresh all that are due" job failed, as the job's page shows it: the
-- token's own last error says nothing when the refresh never reached ANAF (a timeout, the
-- database busy) or was answered elsewhere.
ALTER TABLE refresh_job_items ADD COLUMN reason TEXT;
