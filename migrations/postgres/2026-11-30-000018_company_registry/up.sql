-- Company names and addresses from ANAF's public registry (webservicesp.anaf.ro). A company's
-- address is ANAF's; its name is ANAF's only where nobody typed one.
ALTER TABLE companies ADD COLUMN address TEXT;
-- ANAF's answers, one row per CIF, shared by every record of that CIF; also the queue of lookups:
-- a row is asked about again when it is due, not claimed by an instance, and some record of its
-- CIF still lacks a name or an address.
CREATE TABLE company_registry (
    cif TEXT PRIMARY KEY NOT NULL,
    -- NULL until ANAF answered; then whether ANAF knew the CIF.
    found BOOLEAN,
    name TEXT,
    address TEXT,
    -- When ANAF last answered (an answer is reused for 30 days without asking again).
    looked_up_at TIMESTAMP,
    next_attempt_at TIMESTAMP NOT NULL,
    -- Failed attempts since the last answer (the backoff), and the last failure.
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    -- An instance is asking ANAF about this CIF until then.
    claimed_until TIMESTAMP
);
CREATE INDEX company_registry_due ON company_registry (next_attempt_at);
-- Companies added before this version are looked up too (for their address at least).
INSERT INTO company_registry (cif, next_attempt_at)
    SELECT DISTINCT cif, TIMESTAMP '1970-01-01 00:00:00' FROM companies;
