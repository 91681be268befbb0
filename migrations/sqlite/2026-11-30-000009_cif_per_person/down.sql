-- Fails when two records share a CIF: merge or delete them first.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
DROP INDEX company_members_user_cif;
ALTER TABLE company_members DROP COLUMN cif;
CREATE TABLE companies_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    cif TEXT NOT NULL UNIQUE,
    name TEXT,
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO companies_rebuilt (id, cif, name, created_by, created_at)
    SELECT id, cif, name, created_by, created_at FROM companies;
DROP TABLE companies;
ALTER TABLE companies_rebuilt RENAME TO companies;
CREATE INDEX companies_name ON companies (name);
COMMIT;
PRAGMA foreign_keys = ON;
