//! `email_verifications`: single-use links that prove a person reads the mailbox of an address.
//! Only the SHA-256 of each link's secret is stored.

use crate::domain::UserId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::models::now;
use crate::db::schema::{email_verifications, users};
use crate::db::{DbConnection, write_transaction};

/// Records a link mailed to `email` for account `user_id`, valid until `expires_at`.
pub fn issue(
    conn: &mut DbConnection,
    user_id: UserId,
    email: &str,
    secret_hash: &str,
    expires_at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(email_verifications::table)
        .values((
            email_verifications::user_id.eq(user_id),
            email_verifications::email.eq(email),
            email_verifications::secret_hash.eq(secret_hash),
            email_verifications::created_at.eq(now()),
            email_verifications::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// How many links were mailed for the account since `since` (the resend limit).
pub fn issued_since(
    conn: &mut DbConnection,
    user_id: UserId,
    since: NaiveDateTime,
) -> QueryResult<i64> {
    email_verifications::table
        .filter(email_verifications::user_id.eq(user_id))
        .filter(email_verifications::created_at.ge(since))
        .count()
        .get_result(conn)
}

/// What opening a link did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// The account's address is proven now (or already was, by this link's first use).
    Verified,
    /// No such link for this account, used, expired, or mailed to an address the account no
    /// longer has.
    Invalid,
}

/// Uses the link whose secret hashes to `secret_hash` for account `user_id`: once, before it
/// expires, and only while the account still has the address it was mailed to. Using it marks
/// the address proven.
pub fn consume(
    conn: &mut DbConnection,
    user_id: UserId,
    secret_hash: &str,
) -> QueryResult<Verification> {
    write_transaction(conn, |conn| {
        let at = now();
        let link: Option<(i64, String)> = email_verifications::table
            .filter(email_verifications::secret_hash.eq(secret_hash))
            .filter(email_verifications::user_id.eq(user_id))
            .filter(email_verifications::used_at.is_null())
            .filter(email_verifications::expires_at.gt(at))
            .select((email_verifications::id, email_verifications::email))
            .first(conn)
            .optional()?;
        let Some((id, email)) = link else {
            return Ok(Verification::Invalid);
        };
        let current: Option<String> = users::table
            .find(user_id)
            .select(users::email)
            .first(conn)
            .optional()?;
        if current.as_deref() != Some(email.as_str()) {
            return Ok(Verification::Invalid);
        }
        diesel::update(email_verifications::table.find(id))
            .set(email_verifications::used_at.eq(at))
            .execute(conn)?;
        diesel::update(users::table.find(user_id))
            .filter(users::email_verified_at.is_null())
            .set((users::email_verified_at.eq(at), users::updated_at.eq(at)))
            .execute(conn)?;
        Ok(Verification::Verified)
    })
}

/// Forgets links that can no longer be used (expired before `before`).
pub fn delete_expired(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(email_verifications::table.filter(email_verifications::expires_at.lt(before)))
        .execute(conn)
}
