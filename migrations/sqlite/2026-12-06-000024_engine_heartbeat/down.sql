ALTER TABLE engine_instances DROP COLUMN heartbeat_at;
