use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::models::KeyLookup;
use crate::db::schema::sessions;

#[derive(Insertable)]
#[diesel(table_name = sessions)]
pub struct NewSession<'a> {
    pub id: &'a str,
    pub user_id: Option<i64>,
    pub state: &'a str,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, session: &NewSession<'_>) -> QueryResult<usize> {
    diesel::insert_into(sessions::table)
        .values(session)
        .execute(conn)
}

/// A live session: its state and its idle deadline.
#[derive(Debug, Queryable)]
pub struct LiveSession {
    pub state: String,
    pub expires_at: NaiveDateTime,
}

/// The session that is neither idle-expired nor older than `created_after`.
pub fn load_live(
    conn: &mut DbConnection,
    id: &str,
    now: NaiveDateTime,
    created_after: NaiveDateTime,
) -> QueryResult<Option<LiveSession>> {
    sessions::table
        .filter(sessions::id.eq(id))
        .filter(sessions::expires_at.gt(now))
        .filter(sessions::created_at.gt(created_after))
        .select((sessions::state, sessions::expires_at))
        .get_optional(conn)
}

pub fn update_state(
    conn: &mut DbConnection,
    id: &str,
    user_id: Option<i64>,
    state: &str,
    expires_at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(sessions::table.find(id))
        .set((
            sessions::user_id.eq(user_id),
            sessions::state.eq(state),
            sessions::expires_at.eq(expires_at),
        ))
        .execute(conn)
}

/// Pushes the idle deadline out.
pub fn extend(conn: &mut DbConnection, id: &str, expires_at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(sessions::table.find(id))
        .set(sessions::expires_at.eq(expires_at))
        .execute(conn)
}

pub fn delete(conn: &mut DbConnection, id: &str) -> QueryResult<usize> {
    diesel::delete(sessions::table.find(id)).execute(conn)
}

pub fn delete_expired(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    created_before: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(
        sessions::table.filter(
            sessions::expires_at
                .le(now)
                .or(sessions::created_at.le(created_before)),
        ),
    )
    .execute(conn)
}
