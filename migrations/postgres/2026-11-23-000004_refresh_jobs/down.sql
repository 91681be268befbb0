DROP INDEX anaf_tokens_status;
DROP INDEX audit_events_action;
DROP INDEX users_role;
DROP TABLE refresh_jobs;
