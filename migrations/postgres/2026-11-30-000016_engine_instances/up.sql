-- Every running refresh engine (a serve instance or anaf-portal worker) and its last and next
-- tick, for the lifecycle page. An instance that stopped cleanly says when; one whose ticks
-- stopped without that died.
CREATE TABLE engine_instances (
    id TEXT PRIMARY KEY NOT NULL,
    host TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    last_tick_at TIMESTAMP,
    next_tick_at TIMESTAMP,
    last_refreshed INTEGER NOT NULL DEFAULT 0,
    last_failed INTEGER NOT NULL DEFAULT 0,
    last_probed INTEGER NOT NULL DEFAULT 0,
    stopped_at TIMESTAMP
);
