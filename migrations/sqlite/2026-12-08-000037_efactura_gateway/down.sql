DROP TABLE efactura_call_errors;
DROP TABLE archived_files;
DROP TABLE efactura_uploads;
DROP TABLE efactura_messages;
DROP TABLE api_key_companies;
ALTER TABLE api_keys DROP COLUMN all_companies;
ALTER TABLE api_keys DROP COLUMN permissions;
