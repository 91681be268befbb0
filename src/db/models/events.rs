//! `events`: what happened to tokens, written by the services that cause it (in the transaction
//! of the change where there is one), then fanned out by the notifier (`dispatch_batch`) to each
//! person's notifications, the mail outbox and webhook deliveries, exactly once.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::dialect::{insert_ignore, load_skip_locked};
use crate::db::models::KeyLookup;
use crate::db::models::now;
use crate::db::schema::{anaf_tokens, companies, company_members, company_tokens, events, users};
use crate::domain::{
    CompanyId, EventId, EventKind, TokenId, TokenState, UserId, expiring_threshold,
};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = events)]
pub struct Event {
    pub id: EventId,
    pub kind: EventKind,
    pub company_id: CompanyId,
    pub cif: String,
    pub company_name: Option<String>,
    pub token_id: Option<TokenId>,
    pub user_id: Option<UserId>,
    pub cause: Option<String>,
    pub detail: Option<String>,
    pub act_by: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

impl Event {
    /// The company's name when known, else its CIF.
    pub fn company_label(&self) -> &str {
        self.company_name
            .as_deref()
            .filter(|n| !n.is_empty())
            .unwrap_or(&self.cif)
    }
}

/// An event about to be written; the company's CIF and name are read when it is.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub kind: EventKind,
    pub company_id: CompanyId,
    pub token_id: Option<TokenId>,
    pub user_id: Option<UserId>,
    pub cause: Option<String>,
    pub detail: Option<String>,
    pub act_by: Option<NaiveDateTime>,
    /// Set for an event said once per thing: a second one with the same key is not written.
    pub dedupe_key: Option<String>,
}

impl NewEvent {
    /// Takes plain numbers too, for the token models that still pass them.
    pub fn about_token(kind: EventKind, company_id: CompanyId, token_id: TokenId) -> NewEvent {
        NewEvent {
            kind,
            company_id,
            token_id: Some(token_id),
            user_id: None,
            cause: None,
            detail: None,
            act_by: None,
            dedupe_key: None,
        }
    }

    /// An event for every company the token serves (`record_for_token` names each company).
    pub fn for_served_companies(kind: EventKind, token_id: TokenId) -> NewEvent {
        NewEvent::about_token(kind, CompanyId(0), token_id)
    }

    pub fn cause(mut self, cause: &str) -> NewEvent {
        self.cause = Some(cause.to_owned());
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> NewEvent {
        self.detail = Some(detail.into());
        self
    }

    pub fn act_by(mut self, at: NaiveDateTime) -> NewEvent {
        self.act_by = Some(at);
        self
    }

    pub fn once(mut self, key: String) -> NewEvent {
        self.dedupe_key = Some(key);
        self
    }
}

/// Writes an event; false when its company is gone or an event with its key was written before.
pub fn record(conn: &mut DbConnection, event: NewEvent) -> QueryResult<bool> {
    let company: Option<(String, Option<String>)> = companies::table
        .find(event.company_id)
        .select((companies::cif, companies::name))
        .get_optional(conn)?;
    let Some((cif, company_name)) = company else {
        return Ok(false);
    };
    let row = diesel::insert_into(events::table).values((
        events::kind.eq(event.kind),
        events::company_id.eq(event.company_id),
        events::cif.eq(cif),
        events::company_name.eq(company_name),
        events::token_id.eq(event.token_id),
        events::user_id.eq(event.user_id),
        events::cause.eq(event.cause),
        events::detail.eq(event.detail),
        events::act_by.eq(event.act_by),
        events::dedupe_key.eq(event.dedupe_key),
        events::created_at.eq(now()),
    ));
    let written = insert_ignore!(conn, row)?;
    Ok(written == 1)
}

/// Writes `event` (about a token, `NewEvent::for_served_companies`) once for each company the
/// token serves, each with that company; how many were written. A dedupe key is kept per company.
pub fn record_for_token(conn: &mut DbConnection, event: NewEvent) -> QueryResult<usize> {
    let Some(token_id) = event.token_id else {
        return Ok(0);
    };
    let served: Vec<CompanyId> = company_tokens::table
        .filter(company_tokens::token_id.eq(token_id))
        .order(company_tokens::company_id)
        .select(company_tokens::company_id)
        .load(conn)?;
    let mut written = 0;
    for company_id in served {
        let mut one = event.clone();
        one.company_id = company_id;
        one.dedupe_key = event
            .dedupe_key
            .as_ref()
            .map(|k| format!("{k}:{company_id}"));
        written += usize::from(record(conn, one)?);
    }
    Ok(written)
}

/// Writes `token.expiring` for every active token whose date to act by is within the largest
/// threshold, once per threshold crossed and date: a token only a reconnect keeps alive
/// (`reconnect_by`), or whose refreshes are failing (its access expiry). Returns how many.
pub fn record_expiring(conn: &mut DbConnection, at: NaiveDateTime) -> QueryResult<usize> {
    let horizon = at + chrono::TimeDelta::days(crate::domain::EXPIRING_THRESHOLDS[0]);
    // One event per company the token serves.
    let candidates: Vec<(
        TokenId,
        CompanyId,
        Option<NaiveDateTime>,
        bool,
        NaiveDateTime,
    )> = company_tokens::table
        .inner_join(anaf_tokens::table)
        .filter(anaf_tokens::status.eq(TokenState::Active))
        .filter(
            anaf_tokens::reconnect_by
                .gt(at)
                .and(anaf_tokens::reconnect_by.le(horizon))
                .or(anaf_tokens::refresh_failing
                    .eq(true)
                    .and(anaf_tokens::access_expires_at.gt(at))
                    .and(anaf_tokens::access_expires_at.le(horizon))),
        )
        .select((
            anaf_tokens::id,
            company_tokens::company_id,
            anaf_tokens::reconnect_by,
            anaf_tokens::refresh_failing,
            anaf_tokens::access_expires_at,
        ))
        .load(conn)?;
    let due: Vec<NewEvent> = candidates
        .into_iter()
        .filter_map(
            |(token_id, company_id, reconnect_by, failing, access_expires_at)| {
                let (act_by, cause) = match reconnect_by {
                    Some(by) if by > at && by <= horizon => (by, "reconnect_before"),
                    _ if failing => (access_expires_at, "refresh_failing"),
                    _ => return None,
                };
                let threshold = expiring_threshold((act_by - at).num_days())?;
                Some(
                    NewEvent::about_token(EventKind::Expiring, company_id, token_id)
                        .cause(cause)
                        .act_by(act_by)
                        .detail(threshold.to_string())
                        .once(format!(
                            "token.expiring:{token_id}:{}:{threshold}:{company_id}",
                            act_by.and_utc().timestamp()
                        )),
                )
            },
        )
        .collect();
    // Every tick sees the same tokens: only the thresholds not said yet are written.
    let keys: Vec<&str> = due.iter().filter_map(|e| e.dedupe_key.as_deref()).collect();
    let said: Vec<String> = events::table
        .filter(events::dedupe_key.eq_any(&keys))
        .select(events::dedupe_key.assume_not_null())
        .load(conn)?;
    let mut written = 0;
    for event in due {
        if event.dedupe_key.as_ref().is_some_and(|k| said.contains(k)) {
            continue;
        }
        if record(conn, event)? {
            written += 1;
        }
    }
    Ok(written)
}

/// Takes up to `limit` events not fanned out yet, oldest first, for the caller's transaction:
/// PostgreSQL skips those another instance is fanning out.
pub fn lock_undispatched(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<Event>> {
    let query = events::table
        .filter(events::dispatched_at.is_null())
        .order(events::id)
        .limit(limit);
    load_skip_locked!(conn, query.select(Event::as_select()))
}

/// Marks an event fanned out; false when another instance did first.
pub fn mark_dispatched(conn: &mut DbConnection, id: EventId) -> QueryResult<bool> {
    let marked = diesel::update(
        events::table
            .find(id)
            .filter(events::dispatched_at.is_null()),
    )
    .set(events::dispatched_at.eq(Some(now())))
    .execute(conn)?;
    Ok(marked == 1)
}

/// Who hears of an event: the person it is addressed to, else the company's members (not
/// disabled), with their email preference, language and address.
pub fn recipients(conn: &mut DbConnection, event: &Event) -> QueryResult<Vec<Recipient>> {
    let query = users::table
        .filter(users::disabled_at.is_null())
        .select(Recipient::as_select())
        .into_boxed();
    match event.user_id {
        Some(user_id) => query.filter(users::id.eq(user_id)).load(conn),
        None => query
            .filter(
                users::id.eq_any(
                    company_members::table
                        .filter(company_members::company_id.eq(event.company_id))
                        .select(company_members::user_id),
                ),
            )
            .order(users::id)
            .load(conn),
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct Recipient {
    pub id: UserId,
    pub email: String,
    #[diesel(column_name = email_notifications)]
    pub preference: crate::domain::EmailPreference,
    pub language: String,
    pub email_verified_at: Option<NaiveDateTime>,
}

impl Recipient {
    /// Whether the portal may mail this person: only a proven address gets mail (an unproven one
    /// may belong to someone else).
    pub fn may_be_mailed(&self) -> bool {
        self.email_verified_at.is_some()
    }
}

/// One person as a recipient (for their digest), unless disabled.
pub fn recipient(conn: &mut DbConnection, user_id: UserId) -> QueryResult<Option<Recipient>> {
    users::table
        .find(user_id)
        .filter(users::disabled_at.is_null())
        .select(Recipient::as_select())
        .get_optional(conn)
}
