-- The certificate holder's name (the JWT's `sub` claim), shown beside the serial so that people
-- can tell whose certificate serves a company. `updated_at` goes: nothing read it (each change has
-- its own time: refreshed, rights checked, last error; the audit log has the rest), and the table
-- stays within the 32 columns Diesel's default build supports.
ALTER TABLE anaf_tokens ADD COLUMN certificate_holder TEXT;
ALTER TABLE anaf_tokens DROP COLUMN updated_at;
