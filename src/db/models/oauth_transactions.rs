use crate::domain::UserId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::oauth_transactions;

#[derive(Insertable)]
#[diesel(table_name = oauth_transactions)]
pub struct NewTransaction<'a> {
    pub state_hash: &'a str,
    pub session_binding: &'a str,
    pub user_id: UserId,
    pub company_id: i64,
    /// The PKCE verifier's seed, useless without the state (`secrets::pkce_verifier`).
    pub pkce_verifier: Option<&'a str>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = oauth_transactions)]
pub struct Transaction {
    pub state_hash: String,
    pub session_binding: String,
    pub user_id: UserId,
    pub company_id: i64,
    /// The PKCE verifier's seed, useless without the state (`secrets::pkce_verifier`).
    pub pkce_verifier: Option<String>,
    pub expires_at: NaiveDateTime,
    pub consumed_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConnection, tx: &NewTransaction<'_>) -> QueryResult<usize> {
    diesel::insert_into(oauth_transactions::table)
        .values(tx)
        .execute(conn)
}

pub fn find(conn: &mut DbConnection, state_hash: &str) -> QueryResult<Option<Transaction>> {
    oauth_transactions::table
        .find(state_hash)
        .select(Transaction::as_select())
        .first(conn)
        .optional()
}

/// Marks the transaction used; false when another request consumed it first.
pub fn consume(conn: &mut DbConnection, state_hash: &str, at: NaiveDateTime) -> QueryResult<bool> {
    let updated = diesel::update(
        oauth_transactions::table
            .find(state_hash)
            .filter(oauth_transactions::consumed_at.is_null()),
    )
    .set(oauth_transactions::consumed_at.eq(Some(at)))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Forgets transactions that ended more than a day ago (kept that long to tell "reused" from
/// "unknown").
pub fn delete_older_than(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(oauth_transactions::table.filter(oauth_transactions::expires_at.lt(before)))
        .execute(conn)
}
