use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::models::users::User;
use crate::db::schema::{sessions, users};
use crate::db::{DbConnection, on_backend};

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

/// A live session as a request needs it: its state, its idle deadline and its user.
pub struct LiveSession {
    pub state: String,
    pub expires_at: NaiveDateTime,
    pub user: Option<User>,
}

/// The session that is neither idle-expired nor older than `created_after`, with its user (one
/// indexed query, so a page's session and user cost one round trip).
pub fn load_live(
    conn: &mut DbConnection,
    id: &str,
    now: NaiveDateTime,
    created_after: NaiveDateTime,
) -> QueryResult<Option<LiveSession>> {
    // No `first()`: see `KeyLookup`.
    let rows: Vec<(String, NaiveDateTime, Option<User>)> = on_backend!(conn, |conn| {
        sessions::table
            .left_join(users::table)
            .filter(sessions::id.eq(id))
            .filter(sessions::expires_at.gt(now))
            .filter(sessions::created_at.gt(created_after))
            .select((
                sessions::state,
                sessions::expires_at,
                Option::<User>::as_select(),
            ))
            .load(conn)?
    });
    Ok(rows
        .into_iter()
        .next()
        .map(|(state, expires_at, user)| LiveSession {
            state,
            expires_at,
            user,
        }))
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
