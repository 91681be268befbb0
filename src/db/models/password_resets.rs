//! `password_resets`: single-use links that set a new password. Only the SHA-256 of each
//! link's secret is stored.

use crate::domain::UserId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::models::now;
use crate::db::schema::password_resets;

/// Records a link for account `user_id`, valid until `expires_at`; `issued_by` is the platform
/// admin who issued it to hand over (`None`: mailed to the account's address).
pub fn issue(
    conn: &mut DbConnection,
    user_id: UserId,
    secret_hash: &str,
    issued_by: Option<UserId>,
    expires_at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(password_resets::table)
        .values((
            password_resets::user_id.eq(user_id),
            password_resets::secret_hash.eq(secret_hash),
            password_resets::issued_by.eq(issued_by),
            password_resets::created_at.eq(now()),
            password_resets::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// How many links were mailed for the account since `since` (the per-account limit; links an
/// admin issued do not count).
pub fn mailed_since(
    conn: &mut DbConnection,
    user_id: UserId,
    since: NaiveDateTime,
) -> QueryResult<i64> {
    password_resets::table
        .filter(password_resets::user_id.eq(user_id))
        .filter(password_resets::issued_by.is_null())
        .filter(password_resets::created_at.ge(since))
        .count()
        .get_result(conn)
}

/// A link that can still be used: its row id, its account, and whether it was mailed.
#[derive(Debug, Clone, Copy)]
pub struct Usable {
    pub id: i64,
    pub user_id: UserId,
    pub mailed: bool,
}

/// The unused, unexpired link whose secret hashes to `secret_hash`.
pub fn find_usable(
    conn: &mut DbConnection,
    secret_hash: &str,
    at: NaiveDateTime,
) -> QueryResult<Option<Usable>> {
    let row: Option<(i64, UserId, Option<UserId>)> = password_resets::table
        .filter(password_resets::secret_hash.eq(secret_hash))
        .filter(password_resets::used_at.is_null())
        .filter(password_resets::expires_at.gt(at))
        .select((
            password_resets::id,
            password_resets::user_id,
            password_resets::issued_by,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(|(id, user_id, issued_by)| Usable {
        id,
        user_id,
        mailed: issued_by.is_none(),
    }))
}

/// Marks link `id` used; false when another request used it first. Every other open link of
/// the account is closed too: the new password makes them pointless.
pub fn consume(
    conn: &mut DbConnection,
    id: i64,
    user_id: UserId,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let used = diesel::update(password_resets::table.find(id))
        .filter(password_resets::used_at.is_null())
        .set(password_resets::used_at.eq(at))
        .execute(conn)?;
    if used == 1 {
        close_open(conn, user_id, at)?;
    }
    Ok(used == 1)
}

/// Closes every open link of the account (its password changed some other way).
pub fn close_open(
    conn: &mut DbConnection,
    user_id: UserId,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        password_resets::table
            .filter(password_resets::user_id.eq(user_id))
            .filter(password_resets::used_at.is_null()),
    )
    .set(password_resets::used_at.eq(at))
    .execute(conn)
}

/// Forgets links that can no longer be used (expired before `before`).
pub fn delete_expired(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(password_resets::table.filter(password_resets::expires_at.lt(before)))
        .execute(conn)
}
