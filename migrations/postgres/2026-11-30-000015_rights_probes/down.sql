DROP INDEX anaf_tokens_rights_probe_due_at;
ALTER TABLE anaf_tokens DROP COLUMN rights_probe_due_at;
