//! ANAF token rows. `anaf_tokens` holds what pages and lists show (`TokenMeta`); the encrypted
//! pair lives in `anaf_token_secrets`, which only the token service reads (`TokenSecrets`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::db::models::KeyLookup;
use crate::db::models::companies::Company;
use crate::db::models::events::{self, NewEvent};
use crate::db::models::now;
use crate::db::schema::{anaf_token_secrets, anaf_tokens, companies, company_members};
use crate::db::timestamp::Stamp;
use crate::db::{DbConnection, lock_company, write_transaction};
use crate::domain::{
    Cif, EventKind, MemberRole, ReconnectWindow, RefreshSchedule, Rights, TokenFacts, TokenState,
};

/// Everything about a token except its secrets.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = anaf_tokens)]
pub struct TokenMeta {
    pub id: i64,
    pub company_id: i64,
    pub access_expires_at: NaiveDateTime,
    pub refresh_expires_at: Option<NaiveDateTime>,
    pub issued_at: Option<NaiveDateTime>,
    pub certificate_serial: Option<String>,
    pub certificate_issuer: Option<String>,
    pub certificate_holder: Option<String>,
    #[diesel(column_name = status)]
    pub state: TokenState,
    pub rights: Rights,
    pub rights_detail: Option<String>,
    pub rights_checked_at: Option<NaiveDateTime>,
    pub last_refreshed_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub last_error_at: Option<NaiveDateTime>,
    pub source: String,
    pub created_at: NaiveDateTime,
    pub has_refresh_token: bool,
    pub refresh_due_at: NaiveDateTime,
    pub refresh_interrupted_at: Option<NaiveDateTime>,
    /// Until when a refresh holds the lease (one is in flight until then).
    pub refreshing_until: Option<NaiveDateTime>,
    /// After a passing failure: when the next try is due.
    pub next_attempt_at: Option<NaiveDateTime>,
    /// Since when the current run of passing failures lasts.
    pub failing_since: Option<NaiveDateTime>,
    pub failed_attempts: i32,
    /// Failing for longer than `ANAF_PORTAL_REFRESH_FAILING_AFTER`.
    pub refresh_failing: bool,
    pub reconnect_from: Option<NaiveDateTime>,
    pub reconnect_by: Option<NaiveDateTime>,
}

/// The reconnect window stored as its two columns.
fn window(from: Option<NaiveDateTime>, by: Option<NaiveDateTime>) -> Option<ReconnectWindow> {
    Some(ReconnectWindow {
        from: from?,
        by: by?,
    })
}

impl TokenMeta {
    /// Where the token stands with the refresh engine.
    pub fn schedule(&self) -> RefreshSchedule {
        RefreshSchedule {
            refreshing_until: self.refreshing_until,
            next_attempt_at: self.next_attempt_at,
            failing_since: self.failing_since,
            failing: self.refresh_failing,
        }
    }

    /// What the token's status depends on.
    pub fn facts(&self) -> TokenFacts {
        TokenFacts {
            state: self.state,
            rights: self.rights,
            access_expires_at: self.access_expires_at,
            refresh_due_at: self.refresh_due_at,
            has_refresh_token: self.has_refresh_token,
            refresh_expires_at: self.refresh_expires_at,
            reconnect: window(self.reconnect_from, self.reconnect_by),
        }
    }
}

/// The encrypted values, for the token service only. `company_id` is part of what each
/// ciphertext is bound to.
#[derive(Debug, Clone)]
pub struct TokenSecrets {
    pub id: i64,
    pub company_id: i64,
    /// The vault key that sealed both values (`tokens::vault::KeyId`).
    pub key_id: String,
    pub access_token_ciphertext: String,
    pub refresh_token_ciphertext: Option<String>,
}

/// A freshly obtained pair, sealed, with what its claims say. (Serde: a pair that could not be
/// saved waits in the recovery spool; it holds only ciphertexts.)
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SealedPair {
    #[serde(deserialize_with = "key_id_or_position", alias = "key_version")]
    pub key_id: String,
    pub access_token_ciphertext: String,
    pub refresh_token_ciphertext: Option<String>,
    pub fingerprint: String,
    pub access_expires_at: NaiveDateTime,
    pub refresh_expires_at: Option<NaiveDateTime>,
    pub issued_at: Option<NaiveDateTime>,
    pub refresh_due_at: NaiveDateTime,
    /// When only a reconnect keeps the pair alive: from when to say so, and the date.
    #[serde(default)]
    pub reconnect_from: Option<NaiveDateTime>,
    #[serde(default)]
    pub reconnect_by: Option<NaiveDateTime>,
    pub certificate_serial: Option<String>,
    pub certificate_issuer: Option<String>,
    #[serde(default)]
    pub certificate_holder: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = anaf_tokens)]
struct NewToken<'a> {
    company_id: i64,
    fingerprint: &'a str,
    access_expires_at: NaiveDateTime,
    refresh_expires_at: Option<NaiveDateTime>,
    issued_at: Option<NaiveDateTime>,
    certificate_serial: Option<&'a str>,
    certificate_issuer: Option<&'a str>,
    certificate_holder: Option<&'a str>,
    status: TokenState,
    rights: Rights,
    source: &'a str,
    created_by: Option<i64>,
    created_at: NaiveDateTime,
    has_refresh_token: bool,
    refresh_due_at: NaiveDateTime,
    reconnect_from: Option<NaiveDateTime>,
    reconnect_by: Option<NaiveDateTime>,
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = anaf_token_secrets)]
#[diesel(treat_none_as_null = true)]
struct SecretsRow<'a> {
    token_id: i64,
    key_id: &'a str,
    access_token_ciphertext: &'a str,
    refresh_token_ciphertext: Option<&'a str>,
}

/// A spool entry written before key ids carries `key_version: N`; it reads as `position:N`.
fn key_id_or_position<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Stored {
        Id(String),
        Position(u32),
    }
    Ok(match serde::Deserialize::deserialize(d)? {
        Stored::Id(id) => id,
        Stored::Position(n) => format!("position:{n}"),
    })
}

impl SealedPair {
    fn secrets_row(&self, token_id: i64) -> SecretsRow<'_> {
        SecretsRow {
            token_id,
            key_id: &self.key_id,
            access_token_ciphertext: &self.access_token_ciphertext,
            refresh_token_ciphertext: self.refresh_token_ciphertext.as_deref(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreTokenError {
    #[error("this token is already stored")]
    Duplicate,
    #[error(transparent)]
    Database(#[from] DieselError),
}

/// Makes `pair` the company's token, replacing any earlier one, in one transaction.
pub fn replace_for_company(
    conn: &mut DbConnection,
    company_id: i64,
    pair: &SealedPair,
    source: &str,
    created_by: Option<i64>,
) -> Result<TokenMeta, StoreTokenError> {
    write_transaction(conn, |conn| {
        // Saves for one company at once take turns: each replaces the one before it.
        lock_company(conn, company_id)?;
        let at = now();
        if fingerprint_exists(conn, &pair.fingerprint)? {
            return Err(StoreTokenError::Duplicate);
        }
        diesel::delete(anaf_tokens::table.filter(anaf_tokens::company_id.eq(company_id)))
            .execute(conn)?;
        let inserted = diesel::insert_into(anaf_tokens::table)
            .values(NewToken {
                company_id,
                fingerprint: &pair.fingerprint,
                access_expires_at: pair.access_expires_at,
                refresh_expires_at: pair.refresh_expires_at,
                issued_at: pair.issued_at,
                certificate_serial: pair.certificate_serial.as_deref(),
                certificate_issuer: pair.certificate_issuer.as_deref(),
                certificate_holder: pair.certificate_holder.as_deref(),
                status: TokenState::Active,
                rights: Rights::Unknown,
                source,
                created_by,
                created_at: at,
                has_refresh_token: pair.refresh_token_ciphertext.is_some(),
                refresh_due_at: pair.refresh_due_at,
                reconnect_from: pair.reconnect_from,
                reconnect_by: pair.reconnect_by,
            })
            .returning(anaf_tokens::id)
            .get_result::<i64>(conn);
        let id = match inserted {
            Ok(id) => id,
            // Two identical saves at once: the loser of the race sees the unique index.
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                return Err(StoreTokenError::Duplicate);
            }
            Err(e) => return Err(e.into()),
        };
        diesel::insert_into(anaf_token_secrets::table)
            .values(pair.secrets_row(id))
            .execute(conn)?;
        events::record(
            conn,
            NewEvent::about_token(EventKind::Connected, company_id, id).cause(source),
        )?;
        Ok(anaf_tokens::table
            .find(id)
            .select(TokenMeta::as_select())
            .first(conn)?)
    })
}

pub fn find_meta(conn: &mut DbConnection, id: i64) -> QueryResult<Option<TokenMeta>> {
    anaf_tokens::table
        .find(id)
        .select(TokenMeta::as_select())
        .get_optional(conn)
}

pub fn find_meta_for_company(
    conn: &mut DbConnection,
    company_id: i64,
) -> QueryResult<Option<TokenMeta>> {
    anaf_tokens::table
        .filter(anaf_tokens::company_id.eq(company_id))
        .select(TokenMeta::as_select())
        .get_optional(conn)
}

/// The token and its company.
pub fn find_with_company(
    conn: &mut DbConnection,
    id: i64,
) -> QueryResult<Option<(TokenMeta, Company)>> {
    anaf_tokens::table
        .inner_join(companies::table)
        .filter(anaf_tokens::id.eq(id))
        .select((TokenMeta::as_select(), Company::as_select()))
        .get_optional(conn)
}

pub fn load_secrets(conn: &mut DbConnection, id: i64) -> QueryResult<Option<TokenSecrets>> {
    let row: Option<(i64, i64, String, String, Option<String>)> = anaf_token_secrets::table
        .inner_join(anaf_tokens::table)
        .filter(anaf_token_secrets::token_id.eq(id))
        .select((
            anaf_tokens::id,
            anaf_tokens::company_id,
            anaf_token_secrets::key_id,
            anaf_token_secrets::access_token_ciphertext,
            anaf_token_secrets::refresh_token_ciphertext,
        ))
        .get_optional(conn)?;
    Ok(
        row.map(|(id, company_id, key_id, access, refresh)| TokenSecrets {
            id,
            company_id,
            key_id,
            access_token_ciphertext: access,
            refresh_token_ciphertext: refresh,
        }),
    )
}

/// How many stored tokens each key id sealed.
pub fn count_by_key(conn: &mut DbConnection) -> QueryResult<Vec<(String, i64)>> {
    anaf_token_secrets::table
        .group_by(anaf_token_secrets::key_id)
        .select((anaf_token_secrets::key_id, diesel::dsl::count_star()))
        .order_by(anaf_token_secrets::key_id)
        .load(conn)
}

/// Gives every row that names the key `from` the name `to` (a legacy position becoming an id).
pub fn rename_key(conn: &mut DbConnection, from: &str, to: &str) -> QueryResult<usize> {
    diesel::update(anaf_token_secrets::table.filter(anaf_token_secrets::key_id.eq(from)))
        .set(anaf_token_secrets::key_id.eq(to))
        .execute(conn)
}

/// Up to `limit` tokens whose values another key than `key_id` sealed, in id order after `after`.
pub fn sealed_with_other_keys(
    conn: &mut DbConnection,
    key_id: &str,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<TokenSecrets>> {
    let rows: Vec<(i64, i64, String, String, Option<String>)> = anaf_token_secrets::table
        .inner_join(anaf_tokens::table)
        .filter(anaf_token_secrets::key_id.ne(key_id))
        .filter(anaf_token_secrets::token_id.gt(after))
        .order_by(anaf_token_secrets::token_id)
        .limit(limit)
        .select((
            anaf_tokens::id,
            anaf_tokens::company_id,
            anaf_token_secrets::key_id,
            anaf_token_secrets::access_token_ciphertext,
            anaf_token_secrets::refresh_token_ciphertext,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, company_id, key_id, access, refresh)| TokenSecrets {
            id,
            company_id,
            key_id,
            access_token_ciphertext: access,
            refresh_token_ciphertext: refresh,
        })
        .collect())
}

/// Replaces `old`'s ciphertexts with the same values sealed under `key_id`; 0 when a refresh (or a
/// delete) changed the row since `old` was read, which then needs nothing more.
pub fn reseal(
    conn: &mut DbConnection,
    old: &TokenSecrets,
    key_id: &str,
    access: &str,
    refresh: Option<&str>,
) -> QueryResult<usize> {
    diesel::update(
        anaf_token_secrets::table
            .filter(anaf_token_secrets::token_id.eq(old.id))
            .filter(anaf_token_secrets::key_id.eq(&old.key_id))
            .filter(anaf_token_secrets::access_token_ciphertext.eq(&old.access_token_ciphertext)),
    )
    .set((
        anaf_token_secrets::key_id.eq(key_id),
        anaf_token_secrets::access_token_ciphertext.eq(access),
        anaf_token_secrets::refresh_token_ciphertext.eq(refresh),
    ))
    .execute(conn)
}

/// What taking the refresh lease found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lease {
    /// Taken: this caller refreshes.
    Taken,
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
    id: i64,
    at: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<Lease> {
    if take_lease(conn, id, at, until)? {
        return Ok(Lease::Taken);
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
    id: i64,
    at: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<bool> {
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
        .execute(conn)?;
    Ok(taken == 1)
}

/// Whether a refresh lease is held right now.
pub fn is_leased(conn: &mut DbConnection, id: i64, at: NaiveDateTime) -> QueryResult<bool> {
    let until: Option<Option<NaiveDateTime>> = anaf_tokens::table
        .find(id)
        .select(anaf_tokens::refreshing_until)
        .get_optional(conn)?;
    Ok(until.flatten().is_some_and(|u| u > at))
}

/// Saves a pair ANAF issued at `obtained_at` and releases the lease, in one transaction; 0 when
/// the token is gone (deleting a token wins over a refresh in flight) or a newer pair is already
/// stored (a recovered pair replayed late).
pub fn save_refreshed(
    conn: &mut DbConnection,
    id: i64,
    pair: &SealedPair,
    obtained_at: NaiveDateTime,
) -> QueryResult<usize> {
    write_transaction(conn, |conn| {
        let updated = diesel::update(
            anaf_tokens::table.find(id).filter(
                anaf_tokens::last_refreshed_at
                    .is_null()
                    .or(anaf_tokens::last_refreshed_at.lt(obtained_at)),
            ),
        )
        .set((
            anaf_tokens::fingerprint.eq(&pair.fingerprint),
            anaf_tokens::access_expires_at.eq(pair.access_expires_at),
            anaf_tokens::refresh_expires_at.eq(pair.refresh_expires_at),
            anaf_tokens::issued_at.eq(pair.issued_at),
            // The same certificate: a holder's name is filled in (tokens saved before names were
            // read), never erased by an opaque pair.
            pair.certificate_holder
                .as_deref()
                .map(|holder| anaf_tokens::certificate_holder.eq(holder)),
            anaf_tokens::has_refresh_token.eq(pair.refresh_token_ciphertext.is_some()),
            anaf_tokens::refresh_due_at.eq(pair.refresh_due_at),
            anaf_tokens::reconnect_from.eq(pair.reconnect_from),
            anaf_tokens::reconnect_by.eq(pair.reconnect_by),
            anaf_tokens::status.eq(TokenState::Active),
            anaf_tokens::last_refreshed_at.eq(Some(obtained_at)),
            anaf_tokens::last_error.eq(None::<String>),
            anaf_tokens::last_error_at.eq(None::<NaiveDateTime>),
            anaf_tokens::refreshing_until.eq(None::<NaiveDateTime>),
            anaf_tokens::refresh_interrupted_at.eq(None::<NaiveDateTime>),
            anaf_tokens::next_attempt_at.eq(None::<NaiveDateTime>),
            anaf_tokens::failing_since.eq(None::<NaiveDateTime>),
            anaf_tokens::failed_attempts.eq(0),
            anaf_tokens::refresh_failing.eq(false),
            anaf_tokens::failure_noted_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
        if updated == 1 {
            diesel::update(anaf_token_secrets::table.find(id))
                .set(pair.secrets_row(id))
                .execute(conn)?;
            let company_id = anaf_tokens::table
                .find(id)
                .select(anaf_tokens::company_id)
                .first(conn)?;
            events::record(
                conn,
                NewEvent::about_token(EventKind::Refreshed, company_id, id)
                    .act_by(pair.access_expires_at),
            )?;
        }
        Ok(updated)
    })
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
    id: i64,
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
    id: i64,
    error: &str,
    after: AfterFailure,
) -> QueryResult<usize> {
    write_transaction(conn, |conn| {
        let updated = update_after_failure(conn, id, error, after)?;
        let token: Option<(i64, NaiveDateTime)> = anaf_tokens::table
            .find(id)
            .select((anaf_tokens::company_id, anaf_tokens::access_expires_at))
            .get_optional(conn)?;
        let Some((company_id, access_expires_at)) = token.filter(|_| updated == 1) else {
            return Ok(updated);
        };
        let event = match after {
            AfterFailure::Reconnect => {
                NewEvent::about_token(EventKind::ReconnectNeeded, company_id, id)
                    .cause("refresh_refused")
                    .detail(error)
                    .once(format!("token.reconnect_needed:{id}"))
            }
            AfterFailure::RetryAt {
                since,
                failing: true,
                ..
            } => NewEvent::about_token(EventKind::RefreshFailing, company_id, id)
                .cause("refresh_failing")
                .detail(error)
                .act_by(access_expires_at)
                .once(format!(
                    "token.refresh_failing:{id}:{}",
                    since.and_utc().timestamp()
                )),
            AfterFailure::RetryAt { .. } => return Ok(updated),
        };
        events::record(conn, event)?;
        Ok(updated)
    })
}

fn update_after_failure(
    conn: &mut DbConnection,
    id: i64,
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
    id: i64,
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
) -> QueryResult<Vec<i64>> {
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
        let rows: Vec<i64> = match conn {
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

/// Records a rights verdict (`Granted` or `Denied`) and when the next probe is due.
pub fn record_rights(
    conn: &mut DbConnection,
    id: i64,
    rights: Rights,
    detail: Option<&str>,
    next_probe_at: NaiveDateTime,
) -> QueryResult<usize> {
    write_transaction(conn, |conn| {
        let at = now();
        let before: Option<(i64, Rights, Option<NaiveDateTime>)> = anaf_tokens::table
            .find(id)
            .select((
                anaf_tokens::company_id,
                anaf_tokens::rights,
                anaf_tokens::rights_checked_at,
            ))
            .get_optional(conn)?;
        let updated = diesel::update(anaf_tokens::table.find(id))
            .set((
                anaf_tokens::rights.eq(rights),
                anaf_tokens::rights_detail.eq(detail),
                anaf_tokens::rights_checked_at.eq(Some(at)),
                anaf_tokens::rights_probe_due_at.eq(Some(next_probe_at)),
            ))
            .execute(conn)?;
        if let Some((company_id, previous, checked_at)) = before
            && updated == 1
            && rights == Rights::Denied
            && previous != Rights::Denied
        {
            // Probes racing on one token read the same verdict before them: one event.
            let mut event = NewEvent::about_token(EventKind::RightsLost, company_id, id)
                .cause("no_spv_rights")
                .once(format!(
                    "token.rights_lost:{id}:{}",
                    checked_at.map_or(0, |c| c.and_utc().timestamp_micros())
                ));
            if let Some(detail) = detail {
                event = event.detail(detail);
            }
            events::record(conn, event)?;
        }
        Ok(updated)
    })
}

/// Records a probe that could not tell: the verdict before it stands (its reason is kept only
/// while none is known), and the next probe is due at `next_probe_at`. One statement: a second
/// update of the row in one transaction would make PostgreSQL check the company key again and
/// wait behind a replacement holding the company's lock.
pub fn record_rights_unknown(
    conn: &mut DbConnection,
    id: i64,
    detail: &str,
    next_probe_at: NaiveDateTime,
) -> QueryResult<usize> {
    use diesel::dsl::case_when;
    diesel::update(anaf_tokens::table.find(id))
        .set((
            anaf_tokens::rights_detail.eq(case_when(
                anaf_tokens::rights.eq(Rights::Unknown),
                Some(detail),
            )
            .otherwise(anaf_tokens::rights_detail)),
            anaf_tokens::rights_probe_due_at.eq(Some(next_probe_at)),
        ))
        .execute(conn)
}

/// Claims up to `limit` tokens whose scheduled rights probe is due: active, with an access token
/// that works, and no refresh holding them (a refresh probes by itself). A claim moves the due
/// time to `until`, so no other instance takes it meanwhile and a probe that never ends is tried
/// again then.
pub fn claim_probes(
    conn: &mut DbConnection,
    at: NaiveDateTime,
    until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<i64>> {
    write_transaction(conn, |conn| {
        let due = anaf_tokens::table
            .filter(anaf_tokens::status.eq(TokenState::Active))
            .filter(
                anaf_tokens::rights_probe_due_at
                    .is_null()
                    .or(anaf_tokens::rights_probe_due_at.le(at)),
            )
            .filter(anaf_tokens::access_expires_at.gt(until))
            .filter(
                anaf_tokens::refreshing_until
                    .is_null()
                    .or(anaf_tokens::refreshing_until.lt(at)),
            )
            .order(anaf_tokens::id)
            .limit(limit)
            .select(anaf_tokens::id);
        let ids: Vec<i64> = match conn {
            DbConnection::Postgres(pg) => due.for_update().skip_locked().load(pg)?,
            DbConnection::Sqlite(_) => due.load(conn)?,
        };
        diesel::update(anaf_tokens::table.filter(anaf_tokens::id.eq_any(&ids)))
            .set(anaf_tokens::rights_probe_due_at.eq(Some(until)))
            .execute(conn)?;
        Ok(ids)
    })
}

/// Deletes the token (its secrets go with it) and writes `token.deleted`; 0 when it was
/// already gone.
pub fn delete(conn: &mut DbConnection, id: i64) -> QueryResult<usize> {
    write_transaction(conn, |conn| {
        let company_id: Option<i64> = diesel::delete(anaf_tokens::table.find(id))
            .returning(anaf_tokens::company_id)
            .get_result(conn)
            .optional()?;
        let Some(company_id) = company_id else {
            return Ok(0);
        };
        events::record(
            conn,
            NewEvent::about_token(EventKind::Deleted, company_id, id),
        )?;
        Ok(1)
    })
}

/// Whether a token with this fingerprint (SHA-256 of the access token) is stored already.
pub fn fingerprint_exists(conn: &mut DbConnection, fingerprint: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        anaf_tokens::table.filter(anaf_tokens::fingerprint.eq(fingerprint)),
    ))
    .get_result(conn)
}

/// What the API's token list shows of a token: its status facts and when it was saved. Only the
/// timestamps it prints are read (decoding SQLite's text timestamps is most of what reading a row
/// costs: the list is the API's busiest call).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = anaf_tokens)]
pub struct ListedToken {
    pub id: i64,
    pub company_id: i64,
    #[diesel(column_name = status)]
    pub state: TokenState,
    pub rights: Rights,
    pub access_expires_at: Stamp,
    pub refresh_due_at: Stamp,
    pub has_refresh_token: bool,
    pub refresh_expires_at: Option<Stamp>,
    pub created_at: Stamp,
    pub last_error: Option<String>,
    pub refreshing_until: Option<Stamp>,
    pub next_attempt_at: Option<Stamp>,
    pub failing_since: Option<Stamp>,
    pub refresh_failing: bool,
    pub reconnect_from: Option<Stamp>,
    pub reconnect_by: Option<Stamp>,
}

impl ListedToken {
    pub fn schedule(&self) -> RefreshSchedule {
        RefreshSchedule {
            refreshing_until: self.refreshing_until.map(|at| at.0),
            next_attempt_at: self.next_attempt_at.map(|at| at.0),
            failing_since: self.failing_since.map(|at| at.0),
            failing: self.refresh_failing,
        }
    }

    pub fn facts(&self) -> TokenFacts {
        TokenFacts {
            state: self.state,
            rights: self.rights,
            access_expires_at: self.access_expires_at.0,
            refresh_due_at: self.refresh_due_at.0,
            has_refresh_token: self.has_refresh_token,
            refresh_expires_at: self.refresh_expires_at.map(|at| at.0),
            reconnect: window(
                self.reconnect_from.map(|at| at.0),
                self.reconnect_by.map(|at| at.0),
            ),
        }
    }
}

/// The tokens of every company `user_id` is a member of, with the company's CIF and name, oldest
/// token first. One query, whatever the number of tokens.
pub fn list_for_member(
    conn: &mut DbConnection,
    user_id: i64,
) -> QueryResult<Vec<(ListedToken, Cif, Option<String>)>> {
    anaf_tokens::table
        .inner_join(companies::table.inner_join(company_members::table))
        .filter(company_members::user_id.eq(user_id))
        .order(anaf_tokens::id.asc())
        .select((ListedToken::as_select(), companies::cif, companies::name))
        .load(conn)
}

/// A token of one of a person's companies: the company's CIF and name, and the person's role.
pub type MemberToken = (ListedToken, Cif, Option<String>, MemberRole);

/// The tokens of `user_id`'s companies that may need a person at `at` (refused, no rights,
/// failing, expired, or inside a reconnect window), with the company's CIF, name and the user's
/// role there: what `domain::Attention` then sorts. One query; on a healthy portal few rows.
pub fn attention_candidates_for_member(
    conn: &mut DbConnection,
    user_id: i64,
    at: NaiveDateTime,
) -> QueryResult<Vec<MemberToken>> {
    anaf_tokens::table
        .inner_join(companies::table.inner_join(company_members::table))
        .filter(company_members::user_id.eq(user_id))
        .filter(
            anaf_tokens::status
                .ne(TokenState::Active)
                .or(anaf_tokens::rights.eq(Rights::Denied))
                .or(anaf_tokens::refresh_failing.eq(true))
                .or(anaf_tokens::access_expires_at.le(at))
                .or(anaf_tokens::reconnect_from.le(at)),
        )
        .select((
            ListedToken::as_select(),
            companies::cif,
            companies::name,
            company_members::role,
        ))
        .load(conn)
}

/// Every token's status facts and refresh schedule (the lifecycle page and the metrics). One
/// query of narrow rows.
pub fn list_all(conn: &mut DbConnection) -> QueryResult<Vec<ListedToken>> {
    anaf_tokens::table
        .select(ListedToken::as_select())
        .load(conn)
}
