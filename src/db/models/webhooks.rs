//! `webhook_endpoints`, `webhook_deliveries` and `webhook_attempts`: where a company's events
//! are posted, each event's delivery to each endpoint, and every attempt of it.

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::models::events::Event;
use crate::db::schema::{webhook_deliveries, webhook_endpoints};

/// Queues a delivery of `event` to every enabled endpoint of its company subscribed to its kind
/// (the caller's transaction fans the event out once). Returns how many.
pub fn enqueue_deliveries(conn: &mut DbConnection, event: &Event) -> QueryResult<usize> {
    let endpoints: Vec<(i64, String)> = webhook_endpoints::table
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
        queued += diesel::insert_into(webhook_deliveries::table)
            .values((
                webhook_deliveries::endpoint_id.eq(endpoint_id),
                webhook_deliveries::event_id.eq(event.id),
                webhook_deliveries::message_id.eq(message_id(event.id)),
                webhook_deliveries::next_attempt_at.eq(event.created_at),
                webhook_deliveries::created_at.eq(crate::db::models::now()),
            ))
            .execute(conn)?;
    }
    Ok(queued)
}

/// The `webhook-id` of an event: the same for every endpoint and every attempt, so a receiver
/// can drop a delivery it has already processed.
pub fn message_id(event_id: i64) -> String {
    format!("evt_{event_id}")
}
