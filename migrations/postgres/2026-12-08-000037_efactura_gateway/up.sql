-- Scoped API keys: what a key may do (`permissions`, space-separated: efactura:read
-- efactura:write tokens:read tokens:write tokens:secret) and for which companies (all of its
-- owner's, or those in `api_key_companies`). Keys that exist keep what they could do.
ALTER TABLE api_keys ADD COLUMN permissions TEXT NOT NULL DEFAULT 'tokens:read tokens:write tokens:secret';
ALTER TABLE api_keys ADD COLUMN all_companies BOOLEAN NOT NULL DEFAULT TRUE;
CREATE TABLE api_key_companies (
    api_key_id BIGINT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    PRIMARY KEY (api_key_id, company_id)
);
CREATE INDEX api_key_companies_company_id ON api_key_companies (company_id);

-- Every e-Factura message the portal saw in a list through the gateway, once per CIF that listed
-- it (the seller and the buyer list one invoice under the same id): how a download id is tied to
-- its CIFs (a `descarcare` carries no CIF).
CREATE TABLE efactura_messages (
    environment TEXT NOT NULL,
    message_id TEXT NOT NULL,
    cif TEXT NOT NULL,
    id_solicitare TEXT NOT NULL,
    tip TEXT NOT NULL,
    data_creare TEXT NOT NULL,
    detalii TEXT NOT NULL,
    seen_at TIMESTAMP NOT NULL,
    PRIMARY KEY (environment, message_id, cif)
);
CREATE INDEX efactura_messages_cif ON efactura_messages (cif, data_creare);

-- Every upload made through the gateway: how `stareMesaj` (no CIF) finds its CIF, and the
-- download id of its result once ANAF gave it.
CREATE TABLE efactura_uploads (
    environment TEXT NOT NULL,
    upload_index TEXT NOT NULL,
    cif TEXT NOT NULL,
    standard TEXT NOT NULL,
    api_key_id BIGINT REFERENCES api_keys (id) ON DELETE SET NULL,
    sha256 TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    uploaded_at TIMESTAMP NOT NULL,
    state TEXT,
    download_id TEXT,
    PRIMARY KEY (environment, upload_index)
);
CREATE INDEX efactura_uploads_download_id ON efactura_uploads (environment, download_id);

-- The archive's index: each file downloaded from e-Factura, kept once, exactly as ANAF sent it
-- (the bytes live in the archive's storage under `storage_key`).
CREATE TABLE archived_files (
    environment TEXT NOT NULL,
    message_id TEXT NOT NULL,
    cif TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    storage_key TEXT NOT NULL,
    stored_at TIMESTAMP NOT NULL,
    PRIMARY KEY (environment, message_id)
);
CREATE INDEX archived_files_cif ON archived_files (cif);

-- The last e-Factura answers through the gateway that were not `ok`, per company, for its page.
CREATE TABLE efactura_call_errors (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cif TEXT NOT NULL,
    operation TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT,
    at TIMESTAMP NOT NULL
);
CREATE INDEX efactura_call_errors_cif ON efactura_call_errors (cif, at);
