//! `call_counts`: how many calls each counter had in each period, shared by every instance.
//! `anaf` counts every call to ANAF per minute (the portal's budget), `anaf-background` the
//! engine's calls per second (their pace); `anaf-registry` the calls to ANAF's public company
//! registry per second (their pace); `rights-probe:<CIF>` counts the rights probes of a CIF
//! per day.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::dialect::insert_ignore;
use crate::db::schema::call_counts;

/// The counter of every call to ANAF, per minute.
pub const ANAF: &str = "anaf";

/// The counter of the background's calls to ANAF, per second.
pub const ANAF_BACKGROUND: &str = "anaf-background";

/// The counter of calls to ANAF's public company registry, per second (one a second at most).
pub const ANAF_REGISTRY: &str = "anaf-registry";

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
