//! `call_counts`: how many calls each counter had in each period, shared by every instance.
//! `anaf` counts every call to ANAF in 100 ms buckets (the portal's budget, a sliding minute),
//! `anaf-background` the engine's calls in 10 ms buckets (their pace, a sliding second);
//! `anaf-registry` the calls to ANAF's public company registry likewise (one in any second);
//! `rights-probe:<CIF>` counts the rights probes of a CIF per day; `efactura-<scope>:<subject>`
//! the e-Factura daily quotas (the gateway's and, for the lists, the rights probes' calls).

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::dialect::insert_ignore;
use crate::db::schema::call_counts;

/// The counter of every call to ANAF (`ANAF_MINUTE`).
pub const ANAF: &str = "anaf";

/// The counter of the background's calls to ANAF (its pace, a sliding second).
pub const ANAF_BACKGROUND: &str = "anaf-background";

/// The counter of calls to ANAF's public company registry (one in any second).
pub const ANAF_REGISTRY: &str = "anaf-registry";

/// The quota of `listaMesajeFactura` calls per CIF: the gateway's and the rights probes' calls.
pub const LISTA_PER_CIF: &str = "lista_per_cif";

/// The counter of an e-Factura daily quota (`scope`) for `subject` (a CIF, a message, an upload),
/// per Romanian day.
pub fn efactura_quota(scope: &str, subject: &str) -> String {
    format!("efactura-{scope}:{subject}")
}

/// The counter of a CIF's rights probes, per day.
pub fn rights_probes(cif: &str) -> String {
    format!("rights-probe:{cif}")
}

/// Counts one call of `counter` in `period` when fewer than `limit` were counted there: a
/// single conditional UPDATE, so instances asking at once never together go over. Call it
/// inside a write transaction.
pub fn count_below(
    conn: &mut DbConnection,
    counter: &str,
    period: NaiveDateTime,
    limit: i32,
) -> QueryResult<bool> {
    // The period's row, created by whoever asks first (on a conflict, PostgreSQL waits for the
    // creator's commit and does nothing: no error, no savepoint).
    let row = diesel::insert_into(call_counts::table).values((
        call_counts::counter.eq(counter),
        call_counts::period.eq(period),
        call_counts::calls.eq(0),
    ));
    insert_ignore!(conn, row)?;
    let counted = diesel::update(
        call_counts::table
            .find((counter, period))
            .filter(call_counts::calls.lt(limit)),
    )
    .set(call_counts::calls.eq(call_counts::calls + 1))
    .execute(conn)?;
    Ok(counted == 1)
}

/// A limit on a counter: at most `calls` in any `span` (a sliding window, not a calendar one),
/// counted in buckets of `bucket` (a whole number of buckets per span).
#[derive(Debug, Clone)]
pub struct Window {
    pub counter: std::borrow::Cow<'static, str>,
    pub span: TimeDelta,
    pub bucket: TimeDelta,
    pub calls: i32,
}

/// `at` rounded down to a multiple of `bucket` (since the epoch).
pub fn bucket_of(at: NaiveDateTime, bucket: TimeDelta) -> NaiveDateTime {
    let micros = at.and_utc().timestamp_micros();
    let size = bucket.num_microseconds().unwrap_or(1).max(1);
    chrono::DateTime::from_timestamp_micros(micros - micros.rem_euclid(size))
        .map_or(at, |start| start.naive_utc())
}

/// Counts one call at `at` in every window when none of them is full; otherwise, when the first
/// full one's oldest call leaves it. Call it inside a write transaction.
///
/// Why no `span` ever holds more than `calls`: a call in bucket `b` is admitted only when fewer
/// than `calls` were counted in all buckets from `b - span` on (later ones included, in case an
/// instance's clock ran a little ahead). Take any span and the last call admitted in it: every
/// other call of that span was counted before it, in a bucket at or after the span's start, and
/// so at or after `b - span`; it was admitted only if they were fewer than `calls`. Instances
/// take turns: PostgreSQL through a transaction-scoped advisory lock per counter, SQLite because
/// its write transactions run one at a time.
pub fn take_in_windows(
    conn: &mut DbConnection,
    at: NaiveDateTime,
    windows: &[Window],
) -> QueryResult<Result<(), NaiveDateTime>> {
    if let DbConnection::Postgres(_) = conn {
        let mut counters: Vec<&str> = windows.iter().map(|w| &*w.counter).collect();
        counters.sort_unstable();
        counters.dedup();
        for counter in counters {
            // PostgreSQL hashes the counter's name into the lock's key itself.
            diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1))")
                .bind::<diesel::sql_types::Text, _>(counter)
                .execute(conn)?;
        }
    }
    for window in windows {
        let from = bucket_of(at, window.bucket) - window.span;
        let (counted, oldest): (Option<i64>, Option<NaiveDateTime>) = call_counts::table
            .filter(call_counts::counter.eq(&*window.counter))
            .filter(call_counts::period.ge(from))
            .select((
                diesel::dsl::sum(call_counts::calls),
                diesel::dsl::min(call_counts::period),
            ))
            .first(conn)?;
        if counted.unwrap_or(0) >= i64::from(window.calls) {
            let leaves = oldest.unwrap_or(from) + window.span + window.bucket;
            return Ok(Err(leaves));
        }
    }
    for window in windows {
        count_below(
            conn,
            &window.counter,
            bucket_of(at, window.bucket),
            i32::MAX,
        )?;
    }
    Ok(Ok(()))
}

/// The calls of `counter` from `since` on, summed per minute, oldest first.
pub fn per_minute(
    conn: &mut DbConnection,
    counter: &str,
    since: NaiveDateTime,
) -> QueryResult<Vec<(NaiveDateTime, i32)>> {
    let mut minutes: Vec<(NaiveDateTime, i32)> = Vec::new();
    for (period, calls) in self::since(conn, counter, since)? {
        let minute = bucket_of(period, TimeDelta::minutes(1));
        match minutes.last_mut() {
            Some((last, sum)) if *last == minute => *sum = sum.saturating_add(calls),
            _ => minutes.push((minute, calls)),
        }
    }
    Ok(minutes)
}

/// The counts of `counter` from `since` on, oldest first.
pub fn since(
    conn: &mut DbConnection,
    counter: &str,
    since: NaiveDateTime,
) -> QueryResult<Vec<(NaiveDateTime, i32)>> {
    call_counts::table
        .filter(call_counts::counter.eq(counter))
        .filter(call_counts::period.ge(since))
        .order(call_counts::period.asc())
        .select((call_counts::period, call_counts::calls))
        .load(conn)
}

/// Forgets the periods before `before`, of `counter` only when given.
pub fn delete_before(
    conn: &mut DbConnection,
    counter: Option<&str>,
    before: NaiveDateTime,
) -> QueryResult<usize> {
    let old = call_counts::table.filter(call_counts::period.lt(before));
    match counter {
        Some(counter) => diesel::delete(old.filter(call_counts::counter.eq(counter))).execute(conn),
        None => diesel::delete(old).execute(conn),
    }
}
