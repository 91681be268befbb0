//! `webhook_endpoints`, `webhook_deliveries` and `webhook_attempts`: where a company's events
//! are posted, each event's delivery to each endpoint, and every attempt of it.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use crate::db::dialect::load_skip_locked;
use crate::db::models::events::{self, Event, NewEvent};
use crate::db::models::{KeyLookup, now};
use crate::db::schema::{
    events as events_table, webhook_attempts, webhook_deliveries, webhook_endpoints,
};
use crate::db::{DbConnection, write_transaction};
use crate::domain::backoff::{Backoff, Waits};
use crate::domain::{CompanyId, DeliveryId, EndpointId, EventId, EventKind, UserId};

/// Queues a delivery of `event` to every enabled endpoint of its company subscribed to its kind
/// (the caller's transaction fans the event out once). Returns how many.
pub fn enqueue_deliveries(conn: &mut DbConnection, event: &Event) -> QueryResult<usize> {
    let endpoints: Vec<(EndpointId, String)> = webhook_endpoints::table
        .filter(webhook_endpoints::company_id.eq(event.company_id))
        .filter(webhook_endpoints::disabled_at.is_null())
        .select((webhook_endpoints::id, webhook_endpoints::events))
        .load(conn)?;
    let kind = event.kind.as_str();
    let mut queued = 0;
    for (endpoint_id, _) in endpoints
        .into_iter()
        .filter(|(_, events)| events.split_whitespace().any(|e| e == kind))
    {
        insert_delivery(conn, endpoint_id, event.id, event.created_at)?;
        queued += 1;
    }
    Ok(queued)
}

/// A pending delivery of `event_id` to `endpoint_id`, due at `due`; its id.
fn insert_delivery(
    conn: &mut DbConnection,
    endpoint_id: EndpointId,
    event_id: EventId,
    due: NaiveDateTime,
) -> QueryResult<DeliveryId> {
    diesel::insert_into(webhook_deliveries::table)
        .values((
            webhook_deliveries::endpoint_id.eq(endpoint_id),
            webhook_deliveries::event_id.eq(event_id),
            webhook_deliveries::message_id.eq(message_id(event_id)),
            webhook_deliveries::next_attempt_at.eq(due),
            webhook_deliveries::created_at.eq(now()),
        ))
        .returning(webhook_deliveries::id)
        .get_result(conn)
}

/// The `webhook-id` of an event: the same for every endpoint and every attempt, so a receiver
/// can drop a delivery it has already processed.
pub fn message_id(event_id: EventId) -> String {
    format!("evt_{event_id}")
}

/// An endpoint as pages and the API show it (its secret stays in `EndpointSecret`).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_endpoints)]
pub struct Endpoint {
    pub id: EndpointId,
    pub company_id: CompanyId,
    pub url: String,
    /// Space-separated event kinds.
    pub events: String,
    pub description: Option<String>,
    pub created_by: Option<UserId>,
    pub created_at: NaiveDateTime,
    pub failing_since: Option<NaiveDateTime>,
    pub disabled_at: Option<NaiveDateTime>,
    pub disabled_reason: Option<String>,
}

/// Where an endpoint stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointState {
    Active,
    Failing { since: NaiveDateTime },
    Disabled { at: NaiveDateTime },
}

impl EndpointState {
    pub fn code(self) -> &'static str {
        match self {
            EndpointState::Active => "active",
            EndpointState::Failing { .. } => "failing",
            EndpointState::Disabled { .. } => "disabled",
        }
    }
}

impl Endpoint {
    /// The kinds subscribed to, as stored (names this version does not know are skipped).
    pub fn kinds(&self) -> Vec<EventKind> {
        self.events
            .split_whitespace()
            .filter_map(|k| k.parse().ok())
            .collect()
    }

    pub fn state(&self) -> EndpointState {
        match (self.disabled_at, self.failing_since) {
            (Some(at), _) => EndpointState::Disabled { at },
            (None, Some(since)) => EndpointState::Failing { since },
            (None, None) => EndpointState::Active,
        }
    }
}

/// An endpoint about to be registered; its secret is sealed once its id is known.
pub struct NewEndpoint<'a> {
    pub company_id: CompanyId,
    pub url: &'a str,
    pub events: &'a str,
    pub description: Option<&'a str>,
    pub created_by: UserId,
}

/// The sealed secret: (key id, ciphertext).
pub type SealedSecret = (String, String);

#[derive(Debug, thiserror::Error)]
pub enum CreateEndpointError<SealError> {
    #[error("a company has at most {MAX_ENDPOINTS_PER_COMPANY} webhook endpoints")]
    TooMany,
    #[error("this company already has an endpoint with this URL")]
    Duplicate,
    #[error("the secret could not be sealed: {0}")]
    Seal(SealError),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Endpoints one company may have: each event is posted to each of them.
pub const MAX_ENDPOINTS_PER_COMPANY: i64 = 10;

/// Registers an endpoint; `seal` seals its secret bound to the new row's id.
pub fn create_endpoint<SealError>(
    conn: &mut DbConnection,
    new: NewEndpoint<'_>,
    seal: impl FnOnce(EndpointId) -> Result<SealedSecret, SealError>,
) -> Result<Endpoint, CreateEndpointError<SealError>> {
    write_transaction(conn, |conn| {
        let existing: Vec<String> = webhook_endpoints::table
            .filter(webhook_endpoints::company_id.eq(new.company_id))
            .select(webhook_endpoints::url)
            .load(conn)?;
        if existing.len() as i64 >= MAX_ENDPOINTS_PER_COMPANY {
            return Err(CreateEndpointError::TooMany);
        }
        if existing.iter().any(|u| u == new.url) {
            return Err(CreateEndpointError::Duplicate);
        }
        let id = diesel::insert_into(webhook_endpoints::table)
            .values((
                webhook_endpoints::company_id.eq(new.company_id),
                webhook_endpoints::url.eq(new.url),
                webhook_endpoints::events.eq(new.events),
                webhook_endpoints::description.eq(new.description),
                // Sealed below, bound to the id only known now, in the same transaction.
                webhook_endpoints::secret_ciphertext.eq(""),
                webhook_endpoints::key_id.eq(""),
                webhook_endpoints::created_by.eq(Some(new.created_by)),
                webhook_endpoints::created_at.eq(now()),
            ))
            .returning(webhook_endpoints::id)
            .get_result::<EndpointId>(conn)?;
        let (key_id, ciphertext) = seal(id).map_err(CreateEndpointError::Seal)?;
        diesel::update(webhook_endpoints::table.find(id))
            .set((
                webhook_endpoints::secret_ciphertext.eq(ciphertext),
                webhook_endpoints::key_id.eq(key_id),
            ))
            .execute(conn)?;
        Ok(webhook_endpoints::table
            .find(id)
            .select(Endpoint::as_select())
            .first(conn)?)
    })
}

pub fn list_for_company(
    conn: &mut DbConnection,
    company_id: CompanyId,
) -> QueryResult<Vec<Endpoint>> {
    webhook_endpoints::table
        .filter(webhook_endpoints::company_id.eq(company_id))
        .order(webhook_endpoints::id)
        .select(Endpoint::as_select())
        .load(conn)
}

/// The endpoints of the companies `user_id` administers, with each company's CIF.
pub fn list_for_admin(
    conn: &mut DbConnection,
    user_id: UserId,
) -> QueryResult<Vec<(Endpoint, crate::domain::Cif)>> {
    use crate::db::schema::{companies, company_members};
    webhook_endpoints::table
        .inner_join(companies::table.inner_join(company_members::table))
        .filter(company_members::user_id.eq(user_id))
        .filter(company_members::role.eq(crate::domain::MemberRole::Admin))
        .order(webhook_endpoints::id)
        .select((Endpoint::as_select(), companies::cif))
        .load(conn)
}

pub fn find(conn: &mut DbConnection, endpoint_id: EndpointId) -> QueryResult<Option<Endpoint>> {
    webhook_endpoints::table
        .find(endpoint_id)
        .select(Endpoint::as_select())
        .get_optional(conn)
}

/// The endpoint, when it belongs to `company_id`.
pub fn find_in_company(
    conn: &mut DbConnection,
    company_id: CompanyId,
    endpoint_id: EndpointId,
) -> QueryResult<Option<Endpoint>> {
    Ok(find(conn, endpoint_id)?.filter(|e| e.company_id == company_id))
}

/// Deletes an endpoint with its deliveries and attempts; false when it was not there.
pub fn delete_endpoint(
    conn: &mut DbConnection,
    company_id: CompanyId,
    endpoint_id: EndpointId,
) -> QueryResult<bool> {
    let deleted = diesel::delete(
        webhook_endpoints::table
            .filter(webhook_endpoints::id.eq(endpoint_id))
            .filter(webhook_endpoints::company_id.eq(company_id)),
    )
    .execute(conn)?;
    Ok(deleted == 1)
}

/// Enables a disabled endpoint again, as if it had never failed; false when it was not disabled.
pub fn enable_endpoint(
    conn: &mut DbConnection,
    company_id: CompanyId,
    endpoint_id: EndpointId,
) -> QueryResult<bool> {
    let enabled = diesel::update(
        webhook_endpoints::table
            .filter(webhook_endpoints::id.eq(endpoint_id))
            .filter(webhook_endpoints::company_id.eq(company_id))
            .filter(webhook_endpoints::disabled_at.is_not_null()),
    )
    .set((
        webhook_endpoints::disabled_at.eq(None::<NaiveDateTime>),
        webhook_endpoints::disabled_reason.eq(None::<String>),
        webhook_endpoints::failing_since.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(enabled == 1)
}

/// Queues the message of delivery `delivery_id` to its endpoint again, as a new delivery with
/// the same `webhook-id` (a receiver that processed it already can tell); its id, or `None` when
/// the delivery is not one of that endpoint's.
pub fn redeliver(
    conn: &mut DbConnection,
    endpoint_id: EndpointId,
    delivery_id: DeliveryId,
) -> QueryResult<Option<DeliveryId>> {
    write_transaction(conn, |conn| {
        let event_id: Option<EventId> = webhook_deliveries::table
            .find(delivery_id)
            .filter(webhook_deliveries::endpoint_id.eq(endpoint_id))
            .select(webhook_deliveries::event_id)
            .get_optional(conn)?;
        let Some(event_id) = event_id else {
            return Ok(None);
        };
        Ok(Some(insert_delivery(conn, endpoint_id, event_id, now())?))
    })
}

/// One delivery as the endpoint's page shows it, with its last attempt.
#[derive(Debug, Clone)]
pub struct DeliveryRow {
    pub id: DeliveryId,
    pub event_id: EventId,
    pub kind: EventKind,
    pub message_id: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
    pub last_attempt: Option<Attempt>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_attempts)]
pub struct Attempt {
    pub delivery_id: DeliveryId,
    pub attempted_at: NaiveDateTime,
    pub http_status: Option<i32>,
    pub duration_ms: i32,
    pub error: Option<String>,
    pub response_excerpt: Option<String>,
}

/// A page of an endpoint's deliveries, newest first, and how many there are in all.
pub fn deliveries_page(
    conn: &mut DbConnection,
    endpoint_id: EndpointId,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<DeliveryRow>, i64)> {
    let total = webhook_deliveries::table
        .filter(webhook_deliveries::endpoint_id.eq(endpoint_id))
        .count()
        .get_result(conn)?;
    #[allow(clippy::type_complexity)]
    let rows: Vec<(
        DeliveryId,
        EventId,
        EventKind,
        String,
        String,
        i32,
        NaiveDateTime,
        NaiveDateTime,
        Option<NaiveDateTime>,
    )> = webhook_deliveries::table
        .inner_join(events_table::table)
        .filter(webhook_deliveries::endpoint_id.eq(endpoint_id))
        .order(webhook_deliveries::id.desc())
        .offset(offset)
        .limit(limit)
        .select((
            webhook_deliveries::id,
            webhook_deliveries::event_id,
            events_table::kind,
            webhook_deliveries::message_id,
            webhook_deliveries::status,
            webhook_deliveries::attempts,
            webhook_deliveries::next_attempt_at,
            webhook_deliveries::created_at,
            webhook_deliveries::delivered_at,
        ))
        .load(conn)?;
    let ids: Vec<DeliveryId> = rows.iter().map(|r| r.0).collect();
    let attempts: Vec<Attempt> = webhook_attempts::table
        .filter(webhook_attempts::delivery_id.eq_any(&ids))
        .order(webhook_attempts::id)
        .select(Attempt::as_select())
        .load(conn)?;
    let last = |id: DeliveryId| attempts.iter().rev().find(|a| a.delivery_id == id).cloned();
    let rows = rows
        .into_iter()
        .map(
            |(id, event_id, kind, message_id, status, attempts, next, created, delivered)| {
                DeliveryRow {
                    id,
                    event_id,
                    kind,
                    message_id,
                    status,
                    attempts,
                    next_attempt_at: next,
                    created_at: created,
                    delivered_at: delivered,
                    last_attempt: last(id),
                }
            },
        )
        .collect();
    Ok((rows, total))
}

/// A delivery claimed for sending, with what it takes to send it.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    pub id: DeliveryId,
    pub message_id: String,
    pub attempts: i32,
    pub endpoint: EndpointTarget,
    pub event: Event,
}

/// Where and how to send: the URL and the sealed secret.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_endpoints)]
pub struct EndpointTarget {
    pub id: EndpointId,
    pub company_id: CompanyId,
    pub url: String,
    pub secret_ciphertext: String,
    pub key_id: String,
}

/// Claims up to `limit` due deliveries of enabled endpoints until `until`: no other instance
/// sends them meanwhile (PostgreSQL skips rows another instance is claiming; SQLite's write
/// transaction admits one claimer at a time). A claim that outlives its holder runs out.
pub fn claim_due(
    conn: &mut DbConnection,
    at: NaiveDateTime,
    until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<ClaimedDelivery>> {
    write_transaction(conn, |conn| {
        let due = webhook_deliveries::table
            .filter(webhook_deliveries::status.eq("pending"))
            .filter(webhook_deliveries::next_attempt_at.le(at))
            .filter(
                webhook_deliveries::claimed_until
                    .is_null()
                    .or(webhook_deliveries::claimed_until.lt(at)),
            )
            .filter(
                webhook_deliveries::endpoint_id.eq_any(
                    webhook_endpoints::table
                        .filter(webhook_endpoints::disabled_at.is_null())
                        .select(webhook_endpoints::id),
                ),
            )
            .order(webhook_deliveries::next_attempt_at)
            .limit(limit)
            .select((
                webhook_deliveries::id,
                webhook_deliveries::message_id,
                webhook_deliveries::attempts,
                webhook_deliveries::endpoint_id,
                webhook_deliveries::event_id,
            ));
        let claimed: Vec<(DeliveryId, String, i32, EndpointId, EventId)> =
            load_skip_locked!(conn, due)?;
        if claimed.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<DeliveryId> = claimed.iter().map(|c| c.0).collect();
        diesel::update(webhook_deliveries::table.filter(webhook_deliveries::id.eq_any(&ids)))
            .set(webhook_deliveries::claimed_until.eq(Some(until)))
            .execute(conn)?;
        let endpoint_ids: Vec<EndpointId> = claimed.iter().map(|c| c.3).collect();
        let event_ids: Vec<EventId> = claimed.iter().map(|c| c.4).collect();
        let endpoints: Vec<EndpointTarget> = webhook_endpoints::table
            .filter(webhook_endpoints::id.eq_any(&endpoint_ids))
            .select(EndpointTarget::as_select())
            .load(conn)?;
        let events: Vec<Event> = events_table::table
            .filter(events_table::id.eq_any(&event_ids))
            .select(Event::as_select())
            .load(conn)?;
        Ok(claimed
            .into_iter()
            .filter_map(|(id, message_id, attempts, endpoint_id, event_id)| {
                Some(ClaimedDelivery {
                    id,
                    message_id,
                    attempts,
                    endpoint: endpoints.iter().find(|e| e.id == endpoint_id)?.clone(),
                    event: events.iter().find(|e| e.id == event_id)?.clone(),
                })
            })
            .collect())
    })
}

/// What one attempt gave.
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub attempted_at: NaiveDateTime,
    pub http_status: Option<u16>,
    pub duration_ms: i32,
    pub error: Option<String>,
    pub response_excerpt: Option<String>,
}

impl AttemptRecord {
    /// The endpoint answered 2xx.
    pub fn succeeded(&self) -> bool {
        self.error.is_none() && self.http_status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// What recording an attempt decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterAttempt {
    Delivered,
    RetryAt(NaiveDateTime),
    /// Retried for `GIVE_UP_AFTER` in vain.
    GaveUp,
    /// The endpoint has failed for `DISABLE_AFTER`: disabled, its creator told.
    EndpointDisabled,
    /// The endpoint was deleted while the attempt was made: nothing to record.
    EndpointGone,
}

/// A delivery is retried for this long after its first attempt.
pub const GIVE_UP_AFTER: TimeDelta = TimeDelta::hours(24);
/// An endpoint whose deliveries have failed (none succeeding) for this long is disabled.
pub const DISABLE_AFTER: TimeDelta = TimeDelta::days(5);

/// The waits after the 1st, 2nd… failed attempt; the last repeats.
const RETRY_WAITS: [TimeDelta; 6] = [
    TimeDelta::seconds(5),
    TimeDelta::minutes(5),
    TimeDelta::minutes(30),
    TimeDelta::hours(2),
    TimeDelta::hours(5),
    TimeDelta::hours(10),
];

/// When a delivery whose `failed_attempts`-th attempt failed at `at` is tried again; `None` once
/// that would be more than `GIVE_UP_AFTER` after its first attempt.
pub fn retry_at(
    first_attempt: NaiveDateTime,
    at: NaiveDateTime,
    failed_attempts: i32,
) -> Option<NaiveDateTime> {
    Backoff {
        waits: Waits::Steps(&RETRY_WAITS),
        give_up_after: Some(GIVE_UP_AFTER),
    }
    .next(
        u32::try_from(failed_attempts).unwrap_or(0),
        first_attempt,
        at,
    )
}

/// Records an attempt of a claimed delivery and decides what follows: delivered (the endpoint's
/// failure streak ends), tried again later, given up, or the endpoint disabled after failing for
/// `DISABLE_AFTER` (its pending deliveries given up and a `webhook.disabled` event written for
/// whoever registered it, or the company's members when that person is gone).
pub fn record_attempt(
    conn: &mut DbConnection,
    delivery: &ClaimedDelivery,
    attempt: &AttemptRecord,
) -> QueryResult<AfterAttempt> {
    write_transaction(conn, |conn| {
        let at = attempt.attempted_at;
        let still_there: Option<DeliveryId> = webhook_deliveries::table
            .find(delivery.id)
            .select(webhook_deliveries::id)
            .get_optional(conn)?;
        if still_there.is_none() {
            return Ok(AfterAttempt::EndpointGone);
        }
        diesel::insert_into(webhook_attempts::table)
            .values((
                webhook_attempts::delivery_id.eq(delivery.id),
                webhook_attempts::attempted_at.eq(at),
                webhook_attempts::http_status.eq(attempt.http_status.map(i32::from)),
                webhook_attempts::duration_ms.eq(attempt.duration_ms),
                webhook_attempts::error.eq(attempt.error.as_deref()),
                webhook_attempts::response_excerpt.eq(attempt.response_excerpt.as_deref()),
            ))
            .execute(conn)?;
        let endpoint = webhook_endpoints::table.find(delivery.endpoint.id);
        if attempt.succeeded() {
            diesel::update(webhook_deliveries::table.find(delivery.id))
                .set((
                    webhook_deliveries::status.eq("delivered"),
                    webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
                    webhook_deliveries::claimed_until.eq(None::<NaiveDateTime>),
                    webhook_deliveries::delivered_at.eq(Some(at)),
                ))
                .execute(conn)?;
            diesel::update(endpoint)
                .set(webhook_endpoints::failing_since.eq(None::<NaiveDateTime>))
                .execute(conn)?;
            return Ok(AfterAttempt::Delivered);
        }

        let first_attempt: Option<NaiveDateTime> = webhook_attempts::table
            .filter(webhook_attempts::delivery_id.eq(delivery.id))
            .select(diesel::dsl::min(webhook_attempts::attempted_at))
            .first(conn)?;
        let next = retry_at(first_attempt.unwrap_or(at), at, delivery.attempts + 1);
        diesel::update(webhook_deliveries::table.find(delivery.id))
            .set((
                webhook_deliveries::status.eq(if next.is_some() { "pending" } else { "failed" }),
                webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
                webhook_deliveries::claimed_until.eq(None::<NaiveDateTime>),
                webhook_deliveries::next_attempt_at.eq(next.unwrap_or(at)),
            ))
            .execute(conn)?;
        diesel::update(endpoint.filter(webhook_endpoints::failing_since.is_null()))
            .set(webhook_endpoints::failing_since.eq(Some(at)))
            .execute(conn)?;
        let (failing_since, disabled_at, created_by, url): (
            Option<NaiveDateTime>,
            Option<NaiveDateTime>,
            Option<UserId>,
            String,
        ) = endpoint
            .select((
                webhook_endpoints::failing_since,
                webhook_endpoints::disabled_at,
                webhook_endpoints::created_by,
                webhook_endpoints::url,
            ))
            .first(conn)?;
        let failing_too_long = failing_since.is_some_and(|since| at - since >= DISABLE_AFTER);
        if disabled_at.is_none() && failing_too_long {
            disable(
                conn,
                delivery.endpoint.id,
                delivery.endpoint.company_id,
                created_by,
                &url,
                at,
            )?;
            return Ok(AfterAttempt::EndpointDisabled);
        }
        Ok(next.map_or(AfterAttempt::GaveUp, AfterAttempt::RetryAt))
    })
}

fn disable(
    conn: &mut DbConnection,
    endpoint_id: EndpointId,
    company_id: CompanyId,
    created_by: Option<UserId>,
    url: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(webhook_endpoints::table.find(endpoint_id))
        .set((
            webhook_endpoints::disabled_at.eq(Some(at)),
            webhook_endpoints::disabled_reason.eq(Some(format!(
                "every delivery failed for {} days",
                DISABLE_AFTER.num_days()
            ))),
        ))
        .execute(conn)?;
    diesel::update(
        webhook_deliveries::table
            .filter(webhook_deliveries::endpoint_id.eq(endpoint_id))
            .filter(webhook_deliveries::status.eq("pending")),
    )
    .set((
        webhook_deliveries::status.eq("failed"),
        webhook_deliveries::claimed_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    // The host only: a URL's path or query may hold the receiver's own secret, and this goes
    // into email.
    let host = url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    events::record(
        conn,
        NewEvent {
            kind: EventKind::WebhookDisabled,
            company_id,
            token_id: None,
            user_id: created_by,
            cause: Some("failing".to_owned()),
            detail: Some(host),
            act_by: None,
            dedupe_key: Some(format!(
                "webhook.disabled:{endpoint_id}:{}",
                at.and_utc().timestamp()
            )),
        },
    )?;
    Ok(())
}

/// Endpoints' secrets sealed with another key than `key_id`: (endpoint id, company id, key id,
/// ciphertext).
pub fn secrets_sealed_with_other_keys(
    conn: &mut DbConnection,
    key_id: &str,
) -> QueryResult<Vec<(EndpointId, CompanyId, String, String)>> {
    webhook_endpoints::table
        .filter(webhook_endpoints::key_id.ne(key_id))
        .order(webhook_endpoints::id)
        .select((
            webhook_endpoints::id,
            webhook_endpoints::company_id,
            webhook_endpoints::key_id,
            webhook_endpoints::secret_ciphertext,
        ))
        .load(conn)
}

/// Replaces a secret's ciphertext, unless another change got there first; rows written.
pub fn reseal_secret(
    conn: &mut DbConnection,
    endpoint_id: EndpointId,
    old_key_id: &str,
    new_key_id: &str,
    ciphertext: &str,
) -> QueryResult<usize> {
    diesel::update(
        webhook_endpoints::table
            .filter(webhook_endpoints::id.eq(endpoint_id))
            .filter(webhook_endpoints::key_id.eq(old_key_id)),
    )
    .set((
        webhook_endpoints::key_id.eq(new_key_id),
        webhook_endpoints::secret_ciphertext.eq(ciphertext),
    ))
    .execute(conn)
}

/// How many secrets each key sealed.
pub fn secrets_by_key(conn: &mut DbConnection) -> QueryResult<Vec<(String, i64)>> {
    webhook_endpoints::table
        .group_by(webhook_endpoints::key_id)
        .select((webhook_endpoints::key_id, diesel::dsl::count_star()))
        .order_by(webhook_endpoints::key_id)
        .load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").expect("valid")
    }

    #[test]
    fn retries_back_off_and_stop_a_day_after_the_first_attempt() {
        let first = at("2026-12-01 10:00:00");
        assert_eq!(retry_at(first, first, 1), Some(at("2026-12-01 10:00:05")));
        let second = at("2026-12-01 10:00:05");
        assert_eq!(retry_at(first, second, 2), Some(at("2026-12-01 10:05:05")));
        assert_eq!(
            retry_at(first, at("2026-12-01 12:00:00"), 9),
            Some(at("2026-12-01 22:00:00"))
        );
        assert_eq!(retry_at(first, at("2026-12-02 01:00:00"), 7), None);
    }

    #[test]
    fn only_2xx_without_an_error_is_a_delivery() {
        let record = |status: Option<u16>, error: Option<&str>| AttemptRecord {
            attempted_at: at("2026-12-01 10:00:00"),
            http_status: status,
            duration_ms: 3,
            error: error.map(str::to_owned),
            response_excerpt: None,
        };
        assert!(record(Some(200), None).succeeded());
        assert!(record(Some(204), None).succeeded());
        assert!(!record(Some(301), None).succeeded());
        assert!(!record(Some(500), None).succeeded());
        assert!(!record(None, Some("timed out")).succeeded());
    }
}
