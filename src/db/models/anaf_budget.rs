//! The portal-wide budget of calls to ANAF: the `anaf` counter of `call_counts` (a sliding
//! minute), the background's `anaf-background` (a sliding second), and `anaf_call_pause`.

use std::borrow::Cow;

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use crate::db::models::call_counts::{self, ANAF, ANAF_BACKGROUND, Window};
use crate::db::schema::anaf_call_pause;
use crate::db::{DbConnection, write_transaction};

/// What asking the budget for one call found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Counted: the call may go now.
    Admitted,
    /// The budget is spent: ask again then (when the window's oldest call leaves it).
    Full(NaiveDateTime),
    /// Every call waits until then (ANAF answered 429).
    Paused(NaiveDateTime),
}

/// The portal's budget: `per_minute` calls in any 60 seconds.
pub fn minute(per_minute: i32) -> Window {
    Window {
        counter: Cow::Borrowed(ANAF),
        span: TimeDelta::seconds(60),
        bucket: TimeDelta::milliseconds(100),
        calls: per_minute,
    }
}

/// The background's pace: `per_second` calls in any second.
pub fn pace(per_second: i32) -> Window {
    Window {
        counter: Cow::Borrowed(ANAF_BACKGROUND),
        span: TimeDelta::seconds(1),
        bucket: TimeDelta::milliseconds(10),
        calls: per_second,
    }
}

/// Counts one call at `at` when no pause holds, fewer than `per_minute` calls were counted in the
/// 60 seconds before (`minute`), and, for a background call (`background_per_second` set), fewer
/// than that many background calls in the second before (`pace`). Instances asking at the same
/// moment take turns (`call_counts::take_in_windows`), so together they never go over.
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
        let windows: Vec<Window> = background_per_second
            .map(pace)
            .into_iter()
            .chain([minute(per_minute)])
            .collect();
        Ok(match call_counts::take_in_windows(conn, at, &windows)? {
            Ok(()) => Admission::Admitted,
            Err(retry) => Admission::Full(retry),
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

/// The counter of one API key's gateway calls (its share of the minute).
pub fn key_counter(key: i64) -> String {
    format!("anaf-key:{key}")
}

/// Every key's counter sorts strictly between these two (`;` follows `:` in ASCII).
const KEY_COUNTERS: (&str, &str) = ("anaf-key:", "anaf-key;");

/// Drops the keys' buckets older than `before`: only the last minute's count, and every call
/// reads the buckets of every key still stored.
pub fn delete_key_counts_before(
    conn: &mut DbConnection,
    before: NaiveDateTime,
) -> QueryResult<usize> {
    use crate::db::schema::call_counts;
    diesel::delete(
        call_counts::table
            .filter(call_counts::counter.gt(KEY_COUNTERS.0))
            .filter(call_counts::counter.lt(KEY_COUNTERS.1))
            .filter(call_counts::period.lt(before)),
    )
    .execute(conn)
}

/// A daily quota to count a gateway call against: `counter` in the day starting at `day`.
#[derive(Debug, Clone)]
pub struct DailyCount {
    pub counter: String,
    pub day: NaiveDateTime,
    pub limit: i32,
}

/// Why a gateway call may not go now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayRefusal {
    /// Every call waits until then (ANAF answered 429).
    Paused(NaiveDateTime),
    /// The integrators' part of the minute is spent: until then.
    Minute(NaiveDateTime),
    /// This key has had its share of the minute while others wait: until then.
    KeyShare(NaiveDateTime),
    /// The `index`-th daily quota asked for is spent.
    Daily(usize),
}

/// A refusal, or a database error, inside the admission's transaction (both roll it back).
enum Rejected {
    Refused(GatewayRefusal),
    Storage(diesel::result::Error),
}

impl From<diesel::result::Error> for Rejected {
    fn from(e: diesel::result::Error) -> Self {
        Rejected::Storage(e)
    }
}

/// How an integrator's call shares the minute: integrators together take at most
/// `integrators_per_minute` of the budget (the rest stays for people and the portal's own work),
/// each key at most an equal part of that among the keys that called in the last minute.
#[derive(Debug, Clone, Copy)]
pub struct IntegratorShare {
    pub integrators_per_minute: i32,
}

/// One gateway call asking to be admitted: its key and the daily quotas it counts against.
#[derive(Debug, Clone)]
pub struct IntegratorCall {
    pub key: i64,
    pub daily: Vec<DailyCount>,
}

/// Admits `calls` in one write transaction, each as `take_for_integrator` would on its own (in
/// a savepoint of its own, in order), so that one transaction serves every call that arrived
/// while the previous one ran.
pub fn take_for_integrators(
    conn: &mut DbConnection,
    at: NaiveDateTime,
    share: IntegratorShare,
    calls: &[IntegratorCall],
) -> QueryResult<Vec<Result<(), GatewayRefusal>>> {
    write_transaction(conn, |conn| {
        calls
            .iter()
            .map(|call| take_for_integrator(conn, at, call.key, share, &call.daily))
            .collect()
    })
}

/// Counts one gateway call of `key` at `at` against the minute and `daily`, all or nothing: the
/// daily counters, the budget's minute and the key's share are checked and counted in one
/// transaction, so instances asking at once never together go over any of them.
pub fn take_for_integrator(
    conn: &mut DbConnection,
    at: NaiveDateTime,
    key: i64,
    share: IntegratorShare,
    daily: &[DailyCount],
) -> QueryResult<Result<(), GatewayRefusal>> {
    let outcome = write_transaction(conn, |conn| -> Result<(), Rejected> {
        if let Some(until) = paused_until(conn, at)? {
            return Err(Rejected::Refused(GatewayRefusal::Paused(until)));
        }
        for (index, quota) in daily.iter().enumerate() {
            if !call_counts::count_below(conn, &quota.counter, quota.day, quota.limit)? {
                return Err(Rejected::Refused(GatewayRefusal::Daily(index)));
            }
        }
        let span_start = at - TimeDelta::seconds(60);
        let key_window: Cow<'static, str> = Cow::Owned(key_counter(key));
        // A range of the primary key rather than `LIKE 'anaf-key:%'`, which SQLite answers by
        // reading the whole table: every call of every key would read every counter's rows.
        let others: Vec<String> = crate::db::schema::call_counts::table
            .filter(crate::db::schema::call_counts::counter.gt(KEY_COUNTERS.0))
            .filter(crate::db::schema::call_counts::counter.lt(KEY_COUNTERS.1))
            .filter(crate::db::schema::call_counts::counter.ne(&*key_window))
            .filter(crate::db::schema::call_counts::period.ge(span_start))
            .select(crate::db::schema::call_counts::counter)
            .distinct()
            .load(conn)?;
        let keys = i32::try_from(others.len() + 1).unwrap_or(i32::MAX);
        let windows = [
            minute(share.integrators_per_minute),
            Window {
                counter: key_window,
                span: TimeDelta::seconds(60),
                bucket: TimeDelta::milliseconds(100),
                calls: (share.integrators_per_minute / keys).max(1),
            },
        ];
        match call_counts::take_in_windows(conn, at, &windows)? {
            Ok(()) => Ok(()),
            Err(retry) if !full(conn, &windows[0], at)? => {
                Err(Rejected::Refused(GatewayRefusal::KeyShare(retry)))
            }
            Err(retry) => Err(Rejected::Refused(GatewayRefusal::Minute(retry))),
        }
    });
    match outcome {
        Ok(()) => Ok(Ok(())),
        Err(Rejected::Refused(refusal)) => Ok(Err(refusal)),
        Err(Rejected::Storage(e)) => Err(e),
    }
}

/// Whether `window` is spent at `at`.
fn full(conn: &mut DbConnection, window: &Window, at: NaiveDateTime) -> QueryResult<bool> {
    let counted: Option<i64> = crate::db::schema::call_counts::table
        .filter(crate::db::schema::call_counts::counter.eq(&*window.counter))
        .filter(crate::db::schema::call_counts::period.ge(at - window.span - window.bucket))
        .select(diesel::dsl::sum(crate::db::schema::call_counts::calls))
        .first(conn)?;
    Ok(counted.unwrap_or(0) >= i64::from(window.calls))
}

/// How many calls of `counter` were counted in the day starting at `day`.
pub fn daily_count(conn: &mut DbConnection, counter: &str, day: NaiveDateTime) -> QueryResult<i32> {
    Ok(crate::db::schema::call_counts::table
        .find((counter, day))
        .select(crate::db::schema::call_counts::calls)
        .first(conn)
        .optional()?
        .unwrap_or(0))
}

/// Marks `counter`'s day as spent at `limit` (ANAF said so before the portal counted it).
pub fn spend_day(
    conn: &mut DbConnection,
    counter: &str,
    day: NaiveDateTime,
    limit: i32,
) -> QueryResult<()> {
    call_counts::count_below(conn, counter, day, i32::MAX)?;
    diesel::update(crate::db::schema::call_counts::table.find((counter, day)))
        .set(crate::db::schema::call_counts::calls.eq(limit))
        .execute(conn)?;
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::testing::databases;

    /// Admitted calls at most `limit` in any `span`: checking the spans that begin at a call
    /// suffices, since the fullest span can always be moved to start at its first call.
    fn fullest(calls: &[NaiveDateTime], span: TimeDelta) -> usize {
        let mut fullest = 0;
        let mut end = 0;
        for (start, at) in calls.iter().enumerate() {
            while end < calls.len() && calls[end] < *at + span {
                end += 1;
            }
            fullest = fullest.max(end - start);
        }
        fullest
    }

    /// One transaction for several calls still admits each on its own: the minute's budget
    /// stops the batch part-way, and a refused call leaves its daily quota as it was.
    #[test]
    fn a_batch_admits_each_call_on_its_own_and_a_refused_one_counts_nothing() {
        for (backend, db) in databases() {
            let mut conn = db.get_blocking().expect("connection");
            let at = chrono::DateTime::from_timestamp(1_800_000_000, 0)
                .expect("valid")
                .naive_utc();
            let day = at - TimeDelta::hours(3);
            let calls: Vec<IntegratorCall> = (0..5)
                .map(|_| IntegratorCall {
                    key: 7,
                    daily: vec![DailyCount {
                        counter: "quota:cif".to_owned(),
                        day,
                        limit: 10,
                    }],
                })
                .collect();
            let share = IntegratorShare {
                integrators_per_minute: 3,
            };
            let outcomes = take_for_integrators(&mut conn, at, share, &calls).expect("batch");
            assert_eq!(
                outcomes.iter().filter(|o| o.is_ok()).count(),
                3,
                "{outcomes:?} ({backend:?})"
            );
            assert!(
                matches!(outcomes[3], Err(GatewayRefusal::Minute(_))),
                "{outcomes:?} ({backend:?})"
            );
            assert_eq!(
                daily_count(&mut conn, "quota:cif", day).expect("count"),
                3,
                "the refused calls counted nothing against the day ({backend:?})"
            );
        }
    }

    /// The keys' old buckets go, and only theirs: the last minute and other counters stay.
    #[test]
    fn old_key_buckets_are_deleted_and_nothing_else() {
        for (backend, db) in databases() {
            let mut conn = db.get_blocking().expect("connection");
            let at = chrono::DateTime::from_timestamp(1_800_000_000, 0)
                .expect("valid")
                .naive_utc();
            let old = at - TimeDelta::minutes(20);
            for (counter, period) in [
                (key_counter(1), old),
                (key_counter(22), old),
                (key_counter(1), at),
                ("anaf".to_owned(), old),
                ("anaf-keys-unrelated".to_owned(), old),
            ] {
                call_counts::count_below(&mut conn, &counter, period, i32::MAX).expect("count");
            }
            let deleted =
                delete_key_counts_before(&mut conn, at - TimeDelta::minutes(10)).expect("delete");
            assert_eq!(deleted, 2, "{backend:?}");
            assert_eq!(
                daily_count(&mut conn, &key_counter(1), at).expect("read"),
                1
            );
            assert_eq!(daily_count(&mut conn, "anaf", old).expect("read"), 1);
            assert_eq!(
                daily_count(&mut conn, "anaf-keys-unrelated", old).expect("read"),
                1
            );
        }
    }

    /// Two instances, demand far over the budget around every minute's turn (where counting
    /// calendar minutes let twice the budget through a sliding minute): no 60 s window holds
    /// more than the budget, no 1 s window more background calls than the pace, and the budget
    /// is still used.
    #[test]
    fn no_sliding_minute_or_second_goes_over_the_budget() {
        use rand::Rng;
        const PER_MINUTE: i32 = 300;
        const PER_SECOND: i32 = 5;
        for (backend, db) in databases() {
            let mut instances = [
                db.get_blocking().expect("connection"),
                db.get_blocking().expect("connection"),
            ];
            let mut rng = rand::thread_rng();
            let start = chrono::DateTime::from_timestamp(1_800_000_000, 0)
                .expect("valid")
                .naive_utc();
            let mut at = start;
            let (mut all, mut background) = (Vec::new(), Vec::new());
            while at < start + TimeDelta::seconds(150) {
                let into_minute = (at - start).num_seconds() % 60;
                let busy = !(10..50).contains(&into_minute);
                at += TimeDelta::milliseconds(match busy {
                    true => rng.gen_range(0..20),
                    false => rng.gen_range(100..400),
                });
                let is_background = rng.gen_bool(0.5);
                let conn = &mut instances[rng.gen_range(0..2)];
                let admitted =
                    take(conn, at, PER_MINUTE, is_background.then_some(PER_SECOND)).expect("take");
                if admitted == Admission::Admitted {
                    all.push(at);
                    if is_background {
                        background.push(at);
                    }
                }
            }
            let most = fullest(&all, TimeDelta::seconds(60));
            assert!(
                most <= PER_MINUTE as usize,
                "{most} in a minute ({backend:?})"
            );
            let paced = fullest(&background, TimeDelta::seconds(1));
            assert!(
                paced <= PER_SECOND as usize,
                "{paced} in a second ({backend:?})"
            );
            assert!(
                most >= PER_MINUTE as usize * 9 / 10 && all.len() >= PER_MINUTE as usize * 2,
                "the budget is used: {} calls, {most} in the fullest minute ({backend:?})",
                all.len()
            );
        }
    }
}
