DROP TABLE company_registry;
ALTER TABLE companies DROP COLUMN address;
