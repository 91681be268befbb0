use crate::domain::UserId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::models::KeyLookup;
use crate::db::schema::sessions;

#[derive(Insertable)]
#[diesel(table_name = sessions)]
pub struct NewSession<'a> {
    pub id: &'a str,
    pub user_id: Option<UserId>,
    pub state: &'a str,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    /// The browser and address the session was started from (a login), when known.
    pub user_agent: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub last_seen_at: NaiveDateTime,
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
    user_id: Option<UserId>,
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

/// Pushes the idle deadline out and records that the session was used at `seen_at`.
pub fn touch(
    conn: &mut DbConnection,
    id: &str,
    expires_at: NaiveDateTime,
    seen_at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(sessions::table.find(id))
        .set((
            sessions::expires_at.eq(expires_at),
            sessions::last_seen_at.eq(seen_at),
        ))
        .execute(conn)
}

/// The name a session goes by on pages and in forms: derived from its row id (itself the
/// SHA-256 of the cookie's key) so that neither the key nor the row id is ever shown.
pub fn public_id(id: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("session-public-id:{id}").as_bytes());
    hex::encode(&digest[..12])
}

/// A live session of a person, as their sessions page lists it.
#[derive(Debug, Clone)]
pub struct UserSession {
    pub public_id: String,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub created_at: NaiveDateTime,
    pub last_seen_at: Option<NaiveDateTime>,
}

/// The sessions of `user_id` that are not idle-expired, most recently used first. (One past
/// the absolute timeout is refused at load and removed by the cleanup job.)
pub fn live_for_user(
    conn: &mut DbConnection,
    user_id: UserId,
    now: NaiveDateTime,
) -> QueryResult<Vec<UserSession>> {
    type Row = (
        String,
        Option<String>,
        Option<String>,
        NaiveDateTime,
        Option<NaiveDateTime>,
    );
    let rows: Vec<Row> = sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::expires_at.gt(now))
        .select((
            sessions::id,
            sessions::user_agent,
            sessions::ip,
            sessions::created_at,
            sessions::last_seen_at,
        ))
        .load(conn)?;
    let mut sessions: Vec<UserSession> = rows
        .into_iter()
        .map(
            |(id, user_agent, ip, created_at, last_seen_at)| UserSession {
                public_id: public_id(&id),
                user_agent,
                ip,
                created_at,
                last_seen_at,
            },
        )
        .collect();
    sessions.sort_by(|a, b| {
        b.last_seen_at
            .unwrap_or(b.created_at)
            .cmp(&a.last_seen_at.unwrap_or(a.created_at))
    });
    Ok(sessions)
}

/// Which of a person's sessions to delete.
#[derive(Debug, Clone, Copy)]
pub enum Ending<'a> {
    /// Every one (a new password set through a reset link, an admin's order).
    All,
    /// The one with this public id.
    One(&'a str),
    /// Every one but the one with this public id (the session that asked).
    AllBut(&'a str),
}

/// Deletes sessions of `user_id`; how many.
pub fn end_for_user(
    conn: &mut DbConnection,
    user_id: UserId,
    ending: Ending<'_>,
) -> QueryResult<usize> {
    if let Ending::All = ending {
        return diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id))).execute(conn);
    }
    let ids: Vec<String> = sessions::table
        .filter(sessions::user_id.eq(user_id))
        .select(sessions::id)
        .load(conn)?;
    let doomed: Vec<String> = ids
        .into_iter()
        .filter(|id| {
            let public = public_id(id);
            match ending {
                Ending::All => true,
                Ending::One(wanted) => public == wanted,
                Ending::AllBut(kept) => public != kept,
            }
        })
        .collect();
    if doomed.is_empty() {
        return Ok(0);
    }
    diesel::delete(sessions::table.filter(sessions::id.eq_any(&doomed))).execute(conn)
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
