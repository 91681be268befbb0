//! `notifications`: each person's copy of the events of their companies (the bell), and which
//! are waiting for their daily digest.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::dialect::insert_ignore;
use crate::db::models::events::Event;
use crate::db::models::now;
use crate::db::schema::{events, notifications};
use crate::domain::{EventId, NotificationId, UserId};

/// Gives `user_id` their copy of an event (once, whoever fans it out).
pub fn insert(
    conn: &mut DbConnection,
    user_id: UserId,
    event_id: EventId,
    digest_pending: bool,
) -> QueryResult<usize> {
    let row = diesel::insert_into(notifications::table).values((
        notifications::user_id.eq(user_id),
        notifications::event_id.eq(event_id),
        notifications::digest_pending.eq(digest_pending),
        notifications::created_at.eq(now()),
    ));
    insert_ignore!(conn, row)
}

/// A notification as the list shows it.
#[derive(Debug, Clone)]
pub struct Notification {
    pub id: NotificationId,
    pub read_at: Option<NaiveDateTime>,
    pub event: Event,
}

/// One page of a person's notifications, newest first, and whether there are more.
/// (Takes plain numbers too, for the account services that still pass them.)
pub fn page_for_user(
    conn: &mut DbConnection,
    user_id: UserId,
    before: Option<NotificationId>,
    limit: i64,
) -> QueryResult<(Vec<Notification>, bool)> {
    let mut query = notifications::table
        .inner_join(events::table)
        .filter(notifications::user_id.eq(user_id))
        .order(notifications::id.desc())
        .limit(limit + 1)
        .select((
            notifications::id,
            notifications::read_at,
            Event::as_select(),
        ))
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(notifications::id.lt(before));
    }
    let mut rows: Vec<(NotificationId, Option<NaiveDateTime>, Event)> = query.load(conn)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    Ok((
        rows.into_iter()
            .map(|(id, read_at, event)| Notification { id, read_at, event })
            .collect(),
        more,
    ))
}

/// How many of a person's notifications are unread (the bell's number).
/// (Takes plain numbers too, for the account services that still pass them.)
pub fn unread_count(conn: &mut DbConnection, user_id: UserId) -> QueryResult<i64> {
    notifications::table
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::read_at.is_null())
        .count()
        .get_result(conn)
}

/// Marks one of the person's notifications read; 0 when it is not theirs (or already read).
/// (Takes plain numbers too, for the account services that still pass them.)
pub fn mark_read(
    conn: &mut DbConnection,
    user_id: UserId,
    id: NotificationId,
) -> QueryResult<usize> {
    diesel::update(
        notifications::table
            .find(id)
            .filter(notifications::user_id.eq(user_id))
            .filter(notifications::read_at.is_null()),
    )
    .set(notifications::read_at.eq(Some(now())))
    .execute(conn)
}

/// Marks every notification of the person read.
/// (Takes plain numbers too, for the account services that still pass them.)
pub fn mark_all_read(conn: &mut DbConnection, user_id: UserId) -> QueryResult<usize> {
    diesel::update(
        notifications::table
            .filter(notifications::user_id.eq(user_id))
            .filter(notifications::read_at.is_null()),
    )
    .set(notifications::read_at.eq(Some(now())))
    .execute(conn)
}

/// The people with notifications waiting for their digest.
pub fn users_with_digest_pending(conn: &mut DbConnection) -> QueryResult<Vec<UserId>> {
    notifications::table
        .filter(notifications::digest_pending.eq(true))
        .select(notifications::user_id)
        .distinct()
        .load(conn)
}

/// The events waiting for a person's digest, oldest first; cleared by `clear_digest`.
pub fn digest_pending(
    conn: &mut DbConnection,
    user_id: UserId,
) -> QueryResult<Vec<(NotificationId, Event)>> {
    notifications::table
        .inner_join(events::table)
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::digest_pending.eq(true))
        .order(notifications::id)
        .select((notifications::id, Event::as_select()))
        .load(conn)
}

/// Takes notifications out of the digest queue (their digest is written).
pub fn clear_digest(conn: &mut DbConnection, ids: &[NotificationId]) -> QueryResult<usize> {
    diesel::update(notifications::table.filter(notifications::id.eq_any(ids)))
        .set(notifications::digest_pending.eq(false))
        .execute(conn)
}

/// Whether notification `id` belongs to `user_id`.
/// (Takes plain numbers too, for the account services that still pass them.)
pub fn is_theirs(
    conn: &mut DbConnection,
    user_id: UserId,
    id: NotificationId,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        notifications::table
            .find(id)
            .filter(notifications::user_id.eq(user_id)),
    ))
    .get_result(conn)
}
