//! The refresh columns of `anaf_tokens`: the lease a refresh holds, the due tokens the engine
//! claims, and what a failed refresh leaves for the next try.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::models::KeyLookup;
use crate::db::models::events::{self, NewEvent};
use crate::db::models::now;
use crate::db::schema::anaf_tokens;
use crate::db::{DbConnection, write_transaction};
use crate::domain::{EventKind, TokenId, TokenState};

/// What taking the refresh lease found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lease {
    /// Taken: this caller refreshes; when the token's last pair was saved.
    Taken {
        last_refreshed_at: Option<NaiveDateTime>,
    },
    /// Another refresh holds a live lease.
    Held,
    /// The token is gone.
    Gone,
}

/// Takes the refresh lease until `until` unless another refresh holds a live one. A lease that
/// ran out without being released means a refresh ended without its outcome being recorded (the
/// process died while ANAF held the request): that is noted as `refresh_interrupted_at`.
pub fn try_lease_refresh(
    conn: &mut DbConnection,
    id: TokenId,
    at: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<Lease> {
    if let Some(last_refreshed_at) = take_lease_returning(conn, id, at, until)? {
        return Ok(Lease::Taken { last_refreshed_at });
    }
    let exists =
        diesel::select(diesel::dsl::exists(anaf_tokens::table.find(id))).get_result(conn)?;
    Ok(if exists { Lease::Held } else { Lease::Gone })
}

/// The lease as one conditional statement, so that of two takers at the same moment exactly one
/// succeeds on either backend (PostgreSQL re-checks the condition after waiting for the other's
/// row lock). Whether this caller took it.
pub(crate) fn take_lease(
    conn: &mut DbConnection,
    id: TokenId,
    at: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<bool> {
    Ok(take_lease_returning(conn, id, at, until)?.is_some())
}

/// `take_lease` that also says, in the same statement, when the token's last pair was saved:
/// `Some` when this caller took the lease.
fn take_lease_returning(
    conn: &mut DbConnection,
    id: TokenId,
    at: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<Option<Option<NaiveDateTime>>> {
    use diesel::dsl::case_when;
    let free = anaf_tokens::refreshing_until
        .is_null()
        .or(anaf_tokens::refreshing_until.lt(at));
    let taken = diesel::update(anaf_tokens::table.find(id).filter(free))
        .set((
            // A lease that ran out unreleased: that refresh's outcome is unknown.
            anaf_tokens::refresh_interrupted_at.eq(case_when(
                anaf_tokens::refreshing_until.is_not_null(),
                anaf_tokens::refresh_started_at,
            )
            .otherwise(anaf_tokens::refresh_interrupted_at)),
            anaf_tokens::refreshing_until.eq(Some(until)),
            anaf_tokens::refresh_started_at.eq(Some(at)),
        ))
        .returning(anaf_tokens::last_refreshed_at)
        .get_results::<Option<NaiveDateTime>>(conn)?;
    Ok(taken.into_iter().next())
}

/// Gives the refresh lease back without a refresh (a recent one made it needless).
pub fn release_lease(conn: &mut DbConnection, id: TokenId) -> QueryResult<usize> {
    diesel::update(anaf_tokens::table.find(id))
        .set(anaf_tokens::refreshing_until.eq(None::<NaiveDateTime>))
        .execute(conn)
}

/// Whether a refresh lease is held right now.
pub fn is_leased(conn: &mut DbConnection, id: TokenId, at: NaiveDateTime) -> QueryResult<bool> {
    let until: Option<Option<NaiveDateTime>> = anaf_tokens::table
        .find(id)
        .select(anaf_tokens::refreshing_until)
        .get_optional(conn)?;
    Ok(until.flatten().is_some_and(|u| u > at))
}

/// What follows a failed refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// ANAF's refusal is final: nothing is tried until someone reconnects.
    Reconnect,
    /// A passing failure (the `attempts`-th in a row, failing since `since`, for long enough to
    /// be flagged when `failing`): tried again at `at`.
    RetryAt {
        at: NaiveDateTime,
        attempts: i32,
        since: NaiveDateTime,
        failing: bool,
    },
}

/// The outcome of a refresh is unknown (ANAF did not answer in time, or the answer was lost):
/// releases the lease, records the error and that a refresh started at `started` may have
/// replaced the token at ANAF, and schedules the next try, which finds out.
pub fn record_refresh_unknown(
    conn: &mut DbConnection,
    id: TokenId,
    error: &str,
    started: NaiveDateTime,
    after: AfterFailure,
) -> QueryResult<usize> {
    write_transaction(conn, |conn| {
        let updated = diesel::update(anaf_tokens::table.find(id))
            .set(anaf_tokens::refresh_interrupted_at.eq(Some(started)))
            .execute(conn)?;
        if updated == 0 {
            return Ok(0);
        }
        record_refresh_failure(conn, id, error, after)
    })
}

/// Records a failed refresh, releases the lease and says what follows: a retry at a time, or
/// `reconnect_needed` when ANAF's refusal is final. Writes `token.reconnect_needed` once per
/// token, `token.refresh_failing` once per run of failures.
pub fn record_refresh_failure(
    conn: &mut DbConnection,
    id: TokenId,
    error: &str,
    after: AfterFailure,
) -> QueryResult<usize> {
    write_transaction(conn, |conn| {
        let updated = update_after_failure(conn, id, error, after)?;
        let token: Option<NaiveDateTime> = anaf_tokens::table
            .find(id)
            .select(anaf_tokens::access_expires_at)
            .get_optional(conn)?;
        let Some(access_expires_at) = token.filter(|_| updated == 1) else {
            return Ok(updated);
        };
        let event = match after {
            AfterFailure::Reconnect => {
                NewEvent::for_served_companies(EventKind::ReconnectNeeded, id)
                    .cause("refresh_refused")
                    .detail(error)
                    .once(format!("token.reconnect_needed:{id}"))
            }
            AfterFailure::RetryAt {
                since,
                failing: true,
                ..
            } => NewEvent::for_served_companies(EventKind::RefreshFailing, id)
                .cause("refresh_failing")
                .detail(error)
                .act_by(access_expires_at)
                .once(format!(
                    "token.refresh_failing:{id}:{}",
                    since.and_utc().timestamp()
                )),
            AfterFailure::RetryAt { .. } => return Ok(updated),
        };
        events::record_for_token(conn, event)?;
        Ok(updated)
    })
}

fn update_after_failure(
    conn: &mut DbConnection,
    id: TokenId,
    error: &str,
    after: AfterFailure,
) -> QueryResult<usize> {
    let at = now();
    let target = anaf_tokens::table.find(id);
    let common = (
        anaf_tokens::last_error.eq(Some(error)),
        anaf_tokens::last_error_at.eq(Some(at)),
        anaf_tokens::refreshing_until.eq(None::<NaiveDateTime>),
    );
    match after {
        AfterFailure::Reconnect => diesel::update(target)
            .set((
                common,
                anaf_tokens::status.eq(TokenState::ReconnectNeeded),
                anaf_tokens::next_attempt_at.eq(None::<NaiveDateTime>),
                anaf_tokens::refresh_failing.eq(false),
            ))
            .execute(conn),
        AfterFailure::RetryAt {
            at: next,
            attempts,
            since,
            failing,
        } => diesel::update(target)
            .set((
                common,
                anaf_tokens::next_attempt_at.eq(Some(next)),
                anaf_tokens::failed_attempts.eq(attempts),
                anaf_tokens::failing_since.eq(Some(since)),
                anaf_tokens::refresh_failing.eq(failing),
            ))
            .execute(conn),
    }
}

/// Whether a failure of token `id` should be written to the audit log now: the first of a run,
/// then at most once a day (a dead token is not re-reported on every try). Remembers the answer.
pub fn note_failure_once_a_day(
    conn: &mut DbConnection,
    id: TokenId,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let day_ago = at - chrono::TimeDelta::days(1);
    let noted = diesel::update(
        anaf_tokens::table.find(id).filter(
            anaf_tokens::failure_noted_at
                .is_null()
                .or(anaf_tokens::failure_noted_at.le(day_ago)),
        ),
    )
    .set(anaf_tokens::failure_noted_at.eq(Some(at)))
    .execute(conn)?;
    Ok(noted == 1)
}

/// Takes the refresh lease (until `until`) of up to `limit` tokens that are due: active, with a
/// refresh token that has not expired, due by `refresh_due_at`, past any retry time, and not
/// leased. Most overdue first. Instances claiming at the same moment get different tokens:
/// PostgreSQL skips rows another transaction has locked, SQLite runs one write transaction at a
/// time. A lease that ran out unreleased (its holder died) is taken over and the interruption
/// recorded (`take_lease`).
pub fn claim_due(
    conn: &mut DbConnection,
    at: NaiveDateTime,
    until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<TokenId>> {
    write_transaction(conn, |conn| {
        let due = anaf_tokens::table
            .filter(anaf_tokens::status.eq(TokenState::Active))
            .filter(anaf_tokens::has_refresh_token.eq(true))
            .filter(anaf_tokens::refresh_due_at.le(at))
            .filter(
                anaf_tokens::refresh_expires_at
                    .is_null()
                    .or(anaf_tokens::refresh_expires_at.gt(at)),
            )
            .filter(
                anaf_tokens::next_attempt_at
                    .is_null()
                    .or(anaf_tokens::next_attempt_at.le(at)),
            )
            .filter(
                anaf_tokens::refreshing_until
                    .is_null()
                    .or(anaf_tokens::refreshing_until.lt(at)),
            )
            .order(anaf_tokens::refresh_due_at)
            .limit(limit)
            .select(anaf_tokens::id);
        let rows: Vec<TokenId> = match conn {
            DbConnection::Postgres(pg) => due.for_update().skip_locked().load(pg)?,
            DbConnection::Sqlite(_) => due.load(conn)?,
        };
        let mut claimed = Vec::with_capacity(rows.len());
        for id in rows {
            if take_lease(conn, id, at, until)? {
                claimed.push(id);
            }
        }
        Ok(claimed)
    })
}
