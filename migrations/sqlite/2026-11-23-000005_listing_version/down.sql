DROP TRIGGER company_members_listing_delete;
DROP TRIGGER company_members_listing_update;
DROP TRIGGER company_members_listing_insert;
DROP TRIGGER companies_listing_delete;
DROP TRIGGER companies_listing_update;
DROP TRIGGER anaf_tokens_listing_delete;
DROP TRIGGER anaf_tokens_listing_update;
DROP TRIGGER anaf_tokens_listing_insert;
ALTER TABLE users DROP COLUMN listing_version;
