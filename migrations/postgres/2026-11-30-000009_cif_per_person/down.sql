-- Fails when two records share a CIF: merge or delete them first.
DROP INDEX company_members_user_cif;
ALTER TABLE company_members DROP COLUMN cif;
DROP INDEX companies_cif;
ALTER TABLE companies ADD CONSTRAINT companies_cif_key UNIQUE (cif);
