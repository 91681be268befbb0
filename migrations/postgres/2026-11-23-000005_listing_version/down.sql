DROP TRIGGER company_members_listing ON company_members;
DROP FUNCTION company_members_listing();
DROP TRIGGER companies_listing_update ON companies;
DROP TRIGGER companies_listing_delete ON companies;
DROP FUNCTION companies_listing();
DROP TRIGGER anaf_tokens_listing ON anaf_tokens;
DROP FUNCTION anaf_tokens_listing();
DROP FUNCTION bump_listing_version_of_members(BIGINT);
ALTER TABLE users DROP COLUMN listing_version;
