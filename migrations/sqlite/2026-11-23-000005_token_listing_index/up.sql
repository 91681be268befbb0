-- Lets a token list be sorted and filtered from the index alone, without reading the wide rows
-- (their ciphertexts) of every token a user can see; see companies::list.
CREATE INDEX anaf_tokens_listing ON anaf_tokens (company_id, access_expires_at, status, rights, id);
