-- Rights kept current without burning ANAF's listing quota (1,500 a day per CIF, which belongs to
-- the integrators): when each token's next scheduled probe of listaMesajeFactura is due (a week
-- after a verdict, a day after a probe that could not tell; NULL: as soon as possible). The probes
-- of each CIF per day (at most 10) are counted in call_counts.
ALTER TABLE anaf_tokens ADD COLUMN rights_probe_due_at TIMESTAMP;
UPDATE anaf_tokens SET rights_probe_due_at = datetime(rights_checked_at, '+7 days')
WHERE rights_checked_at IS NOT NULL AND rights <> 'unknown';
CREATE INDEX anaf_tokens_rights_probe_due_at ON anaf_tokens (rights_probe_due_at);
