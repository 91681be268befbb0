-- A CIF is unique within each person's list of companies, not on the whole portal: the company and
-- its accountant can each add it, each record with its own members and tokens.
ALTER TABLE companies DROP CONSTRAINT companies_cif_key;
CREATE INDEX companies_cif ON companies (cif);
-- Each membership carries its company's CIF (which never changes), so the database itself keeps
-- one record per CIF in a person's list.
ALTER TABLE company_members ADD COLUMN cif TEXT NOT NULL DEFAULT '';
UPDATE company_members m SET cif = c.cif FROM companies c WHERE c.id = m.company_id;
ALTER TABLE company_members ALTER COLUMN cif DROP DEFAULT;
CREATE UNIQUE INDEX company_members_user_cif ON company_members (user_id, cif);
