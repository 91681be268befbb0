//! `anaf_call_minutes` and `anaf_call_pause`: the portal-wide budget of calls to ANAF.

use chrono::{NaiveDateTime, TimeDelta, Timelike};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::db::schema::{anaf_call_minutes, anaf_call_pause};
use crate::db::{DbConnection, write_transaction};

/// What asking the budget for one call found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Counted: the call may go now.
    Admitted,
    /// This minute's budget is spent: ask again at the next minute.
    NextMinute(NaiveDateTime),
    /// Every call waits until then (ANAF answered 429).
    Paused(NaiveDateTime),
}

/// The minute `at` falls in.
fn minute_of(at: NaiveDateTime) -> NaiveDateTime {
    at.with_second(0)
        .and_then(|m| m.with_nanosecond(0))
        .unwrap_or(at)
}

/// Counts one call in `at`'s minute when fewer than `limit` were counted there and no pause
/// holds: a single conditional UPDATE, so instances asking at the same moment never together
/// go over.
pub fn take(conn: &mut DbConnection, at: NaiveDateTime, limit: i32) -> QueryResult<Admission> {
    write_transaction(conn, |conn| {
        let paused: Option<NaiveDateTime> = anaf_call_pause::table
            .find(1)
            .select(anaf_call_pause::until)
            .first(conn)
            .optional()?;
        if let Some(until) = paused.filter(|until| *until > at) {
            return Ok(Admission::Paused(until));
        }
        let minute = minute_of(at);
        // The minute's row, created by whoever asks first (a savepoint: PostgreSQL aborts a
        // transaction after a failed statement).
        let created = conn.transaction(|conn| {
            diesel::insert_into(anaf_call_minutes::table)
                .values((
                    anaf_call_minutes::minute.eq(minute),
                    anaf_call_minutes::calls.eq(0),
                ))
                .execute(conn)
        });
        match created {
            Ok(_) | Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {}
            Err(e) => return Err(e),
        }
        let counted = diesel::update(
            anaf_call_minutes::table
                .find(minute)
                .filter(anaf_call_minutes::calls.lt(limit)),
        )
        .set(anaf_call_minutes::calls.eq(anaf_call_minutes::calls + 1))
        .execute(conn)?;
        Ok(if counted == 1 {
            Admission::Admitted
        } else {
            Admission::NextMinute(minute + TimeDelta::minutes(1))
        })
    })
}

/// Makes every call wait until `until` (ANAF answered 429), unless a longer pause holds.
pub fn pause_until(conn: &mut DbConnection, until: NaiveDateTime) -> QueryResult<()> {
    write_transaction(conn, |conn| {
        let current: Option<NaiveDateTime> = anaf_call_pause::table
            .find(1)
            .select(anaf_call_pause::until)
            .first(conn)
            .optional()?;
        match current {
            Some(existing) if existing >= until => {}
            Some(_) => {
                diesel::update(anaf_call_pause::table.find(1))
                    .set(anaf_call_pause::until.eq(until))
                    .execute(conn)?;
            }
            None => {
                diesel::insert_into(anaf_call_pause::table)
                    .values((anaf_call_pause::id.eq(1), anaf_call_pause::until.eq(until)))
                    .execute(conn)?;
            }
        }
        Ok(())
    })
}

/// Forgets minutes before `before`.
pub fn delete_older_than(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(anaf_call_minutes::table.filter(anaf_call_minutes::minute.lt(before)))
        .execute(conn)
}
