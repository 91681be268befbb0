//! `engine_instances`: every refresh engine that ran lately, its ticks and its heartbeat (the
//! lifecycle page).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::engine_instances;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = engine_instances)]
pub struct EngineInstance {
    pub id: String,
    pub host: String,
    pub started_at: NaiveDateTime,
    pub last_tick_at: Option<NaiveDateTime>,
    pub next_tick_at: Option<NaiveDateTime>,
    pub last_refreshed: i32,
    pub last_failed: i32,
    pub last_probed: i32,
    pub stopped_at: Option<NaiveDateTime>,
    /// Written every few seconds while the engine runs, a sweep included.
    pub heartbeat_at: Option<NaiveDateTime>,
}

/// What one sweep did, as stored once it ended.
#[derive(Debug, Clone, Copy)]
pub struct Tick {
    pub next: NaiveDateTime,
    pub refreshed: i32,
    pub failed: i32,
    pub probed: i32,
}

pub fn register(
    conn: &mut DbConnection,
    id: &str,
    host: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(engine_instances::table)
        .values((
            engine_instances::id.eq(id),
            engine_instances::host.eq(host),
            engine_instances::started_at.eq(at),
            engine_instances::heartbeat_at.eq(Some(at)),
        ))
        .execute(conn)
}

/// The engine is alive at `at` (whatever its sweep is doing).
pub fn heartbeat(conn: &mut DbConnection, id: &str, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(engine_instances::table.find(id))
        .set(engine_instances::heartbeat_at.eq(Some(at)))
        .execute(conn)
}

/// A sweep began at `at`: until it ends there is no next tick (a long sweep is not a silence).
pub fn record_sweep_start(
    conn: &mut DbConnection,
    id: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(engine_instances::table.find(id))
        .set((
            engine_instances::last_tick_at.eq(Some(at)),
            engine_instances::next_tick_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
}

/// The sweep ended: what it did, and when the next one is due.
pub fn record_tick(conn: &mut DbConnection, id: &str, tick: Tick) -> QueryResult<usize> {
    diesel::update(engine_instances::table.find(id))
        .set((
            engine_instances::next_tick_at.eq(Some(tick.next)),
            engine_instances::last_refreshed.eq(tick.refreshed),
            engine_instances::last_failed.eq(tick.failed),
            engine_instances::last_probed.eq(tick.probed),
        ))
        .execute(conn)
}

pub fn record_stop(conn: &mut DbConnection, id: &str, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(engine_instances::table.find(id))
        .set((
            engine_instances::stopped_at.eq(Some(at)),
            engine_instances::next_tick_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
}

/// The instances started or ticking since `since`, the running ones first, newest first.
pub fn recent(conn: &mut DbConnection, since: NaiveDateTime) -> QueryResult<Vec<EngineInstance>> {
    engine_instances::table
        .filter(
            engine_instances::started_at
                .ge(since)
                .or(engine_instances::last_tick_at.ge(since)),
        )
        .order((
            engine_instances::stopped_at.is_not_null(),
            engine_instances::started_at.desc(),
        ))
        .limit(100)
        .select(EngineInstance::as_select())
        .load(conn)
}

/// Forgets the instances not heard of since `before`.
pub fn delete_silent_since(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(
        engine_instances::table.filter(
            engine_instances::started_at
                .lt(before)
                .and(
                    engine_instances::last_tick_at
                        .is_null()
                        .or(engine_instances::last_tick_at.lt(before)),
                )
                .and(
                    engine_instances::heartbeat_at
                        .is_null()
                        .or(engine_instances::heartbeat_at.lt(before)),
                ),
        ),
    )
    .execute(conn)
}
