//! What a webhook request carries: `{"type", "timestamp", "data"}` as Standard Webhooks
//! suggests, `data` naming the event, company and token (never a token value). The body is
//! built from the stored event, so every attempt of a delivery sends the same bytes.

use chrono::{NaiveDateTime, SecondsFormat};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::models::events::Event;
use crate::domain::{CompanyId, EventId, TokenId};

/// How the portal writes a time on the wire (webhook bodies and the REST API alike): RFC 3339
/// in UTC with `Z` and whole seconds, `2026-03-16T10:30:00Z`.
pub fn timestamp(at: NaiveDateTime) -> String {
    at.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "token.refreshed", "timestamp": "2026-03-16T10:30:00Z",
    "data": {"eventId": 42, "companyId": 7, "cif": "18547290", "companyName": "Firma Test SRL",
        "tokenId": 123, "cause": null, "detail": null, "actBy": null}
}))]
pub struct WebhookPayload {
    /// The event's kind: `token.connected`, `token.refreshed`, `token.expiring`,
    /// `token.refresh_failing`, `token.reconnect_needed`, `token.rights_lost`, `token.deleted`.
    #[serde(rename = "type")]
    #[schema(
        value_type = String,
        example = "token.refreshed",
        pattern = r"^token\.(connected|refreshed|expiring|refresh_failing|reconnect_needed|rights_lost|deleted)$"
    )]
    pub kind: &'static str,
    /// When the event happened (ISO 8601, UTC); the same on every attempt.
    #[schema(format = DateTime, example = "2026-03-16T10:30:00Z")]
    pub timestamp: String,
    pub data: WebhookEventData,
}

/// What happened, to which company and token.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEventData {
    /// The event's id; `webhook-id` is `evt_<eventId>`, the same for every endpoint and attempt.
    #[schema(value_type = i64)]
    pub event_id: EventId,
    /// The company's id in the portal.
    #[schema(value_type = i64)]
    pub company_id: CompanyId,
    /// The company's fiscal code (CIF), digits only.
    #[schema(example = "18547290")]
    pub cif: String,
    /// The company's name, when the portal knows it.
    pub company_name: Option<String>,
    /// The token the event is about (a deleted token's id names a token that is gone).
    #[schema(value_type = Option<i64>)]
    pub token_id: Option<TokenId>,
    /// Why, in a word: for `token.expiring`, `reconnect_before` (only a reconnect keeps the token
    /// alive past `actBy`) or `refresh_failing` (refreshes fail and the access token expires at
    /// `actBy`); for other kinds the cause the portal recorded, if any.
    pub cause: Option<String>,
    /// More about it: for `token.expiring`, the days-before threshold crossed (`14`, `7`, `3`,
    /// `1`); for failures, the error ANAF or the connection reported.
    pub detail: Option<String>,
    /// The date by which someone must act (ISO 8601, UTC), for `token.expiring`.
    #[schema(format = DateTime)]
    pub act_by: Option<String>,
}

impl WebhookPayload {
    pub fn of(event: &Event) -> WebhookPayload {
        WebhookPayload {
            kind: event.kind.as_str(),
            timestamp: timestamp(event.created_at),
            data: WebhookEventData {
                event_id: event.id,
                company_id: event.company_id,
                cif: event.cif.clone(),
                company_name: event.company_name.clone().filter(|n| !n.is_empty()),
                token_id: event.token_id,
                cause: event.cause.clone(),
                detail: event.detail.clone(),
                act_by: event.act_by.map(timestamp),
            },
        }
    }

    /// The request body.
    pub fn body(&self) -> Vec<u8> {
        // Serialising plain strings and numbers cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_utc_whole_seconds() {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 3, 16)
            .and_then(|d| d.and_hms_micro_opt(10, 30, 0, 123_456))
            .unwrap();
        assert_eq!(timestamp(at), "2026-03-16T10:30:00Z");
    }
}
