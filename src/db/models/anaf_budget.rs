//! The portal-wide budget of calls to ANAF: the `anaf` counter of `call_counts`, per minute,
//! and `anaf_call_pause`.

use chrono::{NaiveDateTime, TimeDelta, Timelike};
use diesel::prelude::*;

use crate::db::models::call_counts::{self, ANAF};
use crate::db::schema::anaf_call_pause;
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
        if let Some(until) = paused_until(conn, at)? {
            return Ok(Admission::Paused(until));
        }
        let minute = minute_of(at);
        let counted = call_counts::count_below(conn, ANAF, minute, limit)?;
        Ok(if counted {
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

/// Until when every call waits, when a pause holds at `at`.
pub fn paused_until(
    conn: &mut DbConnection,
    at: NaiveDateTime,
) -> QueryResult<Option<NaiveDateTime>> {
    Ok(anaf_call_pause::table
        .find(1)
        .select(anaf_call_pause::until)
        .first::<NaiveDateTime>(conn)
        .optional()?
        .filter(|until| *until > at))
}
