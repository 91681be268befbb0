-- A CIF is unique within each person's list of companies, not on the whole portal: the company and
-- its accountant can each add it, each record with its own members and tokens. SQLite cannot drop
-- a column's UNIQUE, so `companies` is rebuilt (https://www.sqlite.org/lang_altertable.html).
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE companies_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    cif TEXT NOT NULL,
    name TEXT,
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO companies_rebuilt (id, cif, name, created_by, created_at)
    SELECT id, cif, name, created_by, created_at FROM companies;
DROP TABLE companies;
ALTER TABLE companies_rebuilt RENAME TO companies;
CREATE INDEX companies_name ON companies (name);
CREATE INDEX companies_cif ON companies (cif);
-- Each membership carries its company's CIF (which never changes), so the database itself keeps
-- one record per CIF in a person's list.
ALTER TABLE company_members ADD COLUMN cif TEXT NOT NULL DEFAULT '';
UPDATE company_members SET cif = (SELECT cif FROM companies WHERE companies.id = company_members.company_id);
CREATE UNIQUE INDEX company_members_user_cif ON company_members (user_id, cif);
COMMIT;
PRAGMA foreign_keys = ON;
