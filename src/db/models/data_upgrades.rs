//! One-time upgrades of stored data that the SQL migrations cannot do themselves (see
//! `migrations/*/2026-11-30-000023_token_binding`): a row names one that finished.

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::models::{KeyLookup, now};
use crate::db::schema::data_upgrades;

/// Whether the upgrade `name` has finished.
pub fn is_done(conn: &mut DbConnection, name: &str) -> QueryResult<bool> {
    let found: Option<String> = data_upgrades::table
        .find(name)
        .select(data_upgrades::name)
        .get_optional(conn)?;
    Ok(found.is_some())
}

/// Records that the upgrade `name` finished (once: a second instance finishing it too is fine).
pub fn mark_done(conn: &mut DbConnection, name: &str) -> QueryResult<()> {
    if is_done(conn, name)? {
        return Ok(());
    }
    let inserted = diesel::insert_into(data_upgrades::table)
        .values((
            data_upgrades::name.eq(name),
            data_upgrades::done_at.eq(now()),
        ))
        .execute(conn);
    match inserted {
        Ok(_)
        | Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Ok(()),
        Err(e) => Err(e),
    }
}
