DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
DROP TABLE mail_outbox;
ALTER TABLE users DROP COLUMN last_digest_at;
ALTER TABLE users DROP COLUMN language;
ALTER TABLE users DROP COLUMN email_notifications;
DROP TABLE notifications;
DROP TABLE events;
