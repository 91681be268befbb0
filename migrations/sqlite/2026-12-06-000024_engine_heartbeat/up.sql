-- The engine's heartbeat, written every few seconds while it runs (a sweep included): an instance
-- not heard from for a few beats is shown as silent, whatever its last tick said.
ALTER TABLE engine_instances ADD COLUMN heartbeat_at TIMESTAMP;
