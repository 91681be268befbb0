//! `email_changes`: a new address for an account, waiting until its owner opens the link mailed
//! to it. Only the SHA-256 of each link's secret is stored.

use crate::domain::UserId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::models::now;
use crate::db::schema::email_changes;

/// Records a link that changes account `user_id`'s address to `new_email`.
pub fn issue(
    conn: &mut DbConnection,
    user_id: UserId,
    new_email: &str,
    secret_hash: &str,
    expires_at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(email_changes::table)
        .values((
            email_changes::user_id.eq(user_id),
            email_changes::new_email.eq(new_email),
            email_changes::secret_hash.eq(secret_hash),
            email_changes::created_at.eq(now()),
            email_changes::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// How many changes the account asked for since `since` (the per-account limit).
pub fn issued_since(
    conn: &mut DbConnection,
    user_id: UserId,
    since: NaiveDateTime,
) -> QueryResult<i64> {
    email_changes::table
        .filter(email_changes::user_id.eq(user_id))
        .filter(email_changes::created_at.ge(since))
        .count()
        .get_result(conn)
}

/// Uses account `user_id`'s unused, unexpired link whose secret hashes to `secret_hash`: the
/// address it changes to, or `None`. Every other open change of the account is closed too.
pub fn consume(
    conn: &mut DbConnection,
    user_id: UserId,
    secret_hash: &str,
    at: NaiveDateTime,
) -> QueryResult<Option<String>> {
    let link: Option<(i64, String)> = email_changes::table
        .filter(email_changes::secret_hash.eq(secret_hash))
        .filter(email_changes::user_id.eq(user_id))
        .filter(email_changes::used_at.is_null())
        .filter(email_changes::expires_at.gt(at))
        .select((email_changes::id, email_changes::new_email))
        .first(conn)
        .optional()?;
    let Some((id, new_email)) = link else {
        return Ok(None);
    };
    let used = diesel::update(email_changes::table.find(id))
        .filter(email_changes::used_at.is_null())
        .set(email_changes::used_at.eq(at))
        .execute(conn)?;
    if used == 0 {
        return Ok(None);
    }
    diesel::update(
        email_changes::table
            .filter(email_changes::user_id.eq(user_id))
            .filter(email_changes::used_at.is_null()),
    )
    .set(email_changes::used_at.eq(at))
    .execute(conn)?;
    Ok(Some(new_email))
}

/// Forgets links that can no longer be used (expired before `before`).
pub fn delete_expired(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(email_changes::table.filter(email_changes::expires_at.lt(before))).execute(conn)
}
