DROP TABLE audit_events;
DROP TABLE oauth_transactions;
DROP TABLE anaf_tokens;
DROP TABLE company_members;
DROP TABLE companies;
