//! The portal-wide budget of calls to ANAF: the `anaf` counter of `call_counts`, per minute,
//! and `anaf_call_pause`.

use chrono::{NaiveDateTime, TimeDelta, Timelike};
use diesel::prelude::*;

use crate::db::models::call_counts::{self, ANAF, ANAF_BACKGROUND};
use crate::db::schema::anaf_call_pause;
use crate::db::{DbConnection, write_transaction};

/// What asking the budget for one call found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Counted: the call may go now.
    Admitted,
    /// The budget is spent: ask again then (the next second or minute).
    Full(NaiveDateTime),
    /// Every call waits until then (ANAF answered 429).
    Paused(NaiveDateTime),
}

/// `at` without its seconds (`Minute`) or its fraction of a second (`Second`).
fn truncated(at: NaiveDateTime, to_minute: bool) -> NaiveDateTime {
    let whole_second = at.with_nanosecond(0).unwrap_or(at);
    match to_minute {
        true => whole_second.with_second(0).unwrap_or(whole_second),
        false => whole_second,
    }
}

/// Counts one call at `at` when no pause holds, fewer than `per_minute` calls were counted in
/// its minute, and, for a background call (`background_per_second` set), fewer than that many
/// background calls in its second. Each count is a single conditional UPDATE, so instances asking
/// at the same moment never together go over.
pub fn take(
    conn: &mut DbConnection,
    at: NaiveDateTime,
    per_minute: i32,
    background_per_second: Option<i32>,
) -> QueryResult<Admission> {
    write_transaction(conn, |conn| {
        if let Some(until) = paused_until(conn, at)? {
            return Ok(Admission::Paused(until));
        }
        let second = truncated(at, false);
        if let Some(per_second) = background_per_second
            && !call_counts::count_below(conn, ANAF_BACKGROUND, second, per_second)?
        {
            return Ok(Admission::Full(second + TimeDelta::seconds(1)));
        }
        let minute = truncated(at, true);
        Ok(
            match call_counts::count_below(conn, ANAF, minute, per_minute)? {
                true => Admission::Admitted,
                false => Admission::Full(minute + TimeDelta::minutes(1)),
            },
        )
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
