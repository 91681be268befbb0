ALTER TABLE anaf_tokens DROP COLUMN reconnect_by;
ALTER TABLE anaf_tokens DROP COLUMN reconnect_from;
