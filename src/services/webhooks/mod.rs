//! Webhooks: a company's admins register endpoints (a URL, the events wanted, a signing secret
//! shown once); every event of the company is posted to each endpoint subscribed to it, signed
//! as Standard Webhooks says, retried for a day, and logged attempt by attempt. An endpoint that
//! fails for 5 days is disabled and the person who registered it told.
//!
//! `WebhookService` is what pages and the API call; `WebhookSender` is the notifier's step that
//! posts what is due.

pub mod address;
pub mod payload;
pub mod reads;
pub mod sender;
pub mod signing;

use std::sync::Arc;

use secrecy::SecretString;

use crate::db::Db;
use crate::db::models::webhooks::{self, CreateEndpointError, NewEndpoint};
use crate::domain::{Actor, AuditAction, AuditEvent, CompanyId, DeliveryId, EndpointId, EventKind};
use crate::services::audit::AuditLog;
use crate::services::tokens::vault::{TokenVault, VaultError};

pub use address::{EndpointUrl, UrlProblem};
pub use reads::{DeliveryRow, Endpoint, EndpointState};
pub use sender::WebhookSender;
pub use signing::SigningSecret;

/// The events an endpoint subscribes to: at least one, each one webhooks carry, in the order of
/// `EventKind::FOR_WEBHOOKS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription(Vec<EventKind>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubscriptionProblem {
    #[error("choose at least one event")]
    Empty,
    #[error("'{0}' is not an event webhooks carry")]
    Unknown(String),
}

impl Subscription {
    pub fn parse<'a>(
        names: impl IntoIterator<Item = &'a str>,
    ) -> Result<Subscription, SubscriptionProblem> {
        let mut chosen = Vec::new();
        for name in names {
            let kind = EventKind::FOR_WEBHOOKS
                .into_iter()
                .find(|k| k.as_str() == name.trim())
                .ok_or_else(|| SubscriptionProblem::Unknown(name.chars().take(60).collect()))?;
            chosen.push(kind);
        }
        let kinds: Vec<EventKind> = EventKind::FOR_WEBHOOKS
            .into_iter()
            .filter(|k| chosen.contains(k))
            .collect();
        if kinds.is_empty() {
            return Err(SubscriptionProblem::Empty);
        }
        Ok(Subscription(kinds))
    }

    /// As stored: space-separated names.
    pub fn stored(&self) -> String {
        self.0
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// An endpoint's optional note, at most `MAX_DESCRIPTION_CHARS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description(Option<String>);

pub const MAX_DESCRIPTION_CHARS: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the description is longer than {MAX_DESCRIPTION_CHARS} characters")]
pub struct DescriptionTooLong;

impl Description {
    pub fn parse(raw: Option<&str>) -> Result<Description, DescriptionTooLong> {
        let text = raw.map(str::trim).filter(|t| !t.is_empty());
        if text.is_some_and(|t| t.chars().count() > MAX_DESCRIPTION_CHARS) {
            return Err(DescriptionTooLong);
        }
        Ok(Description(text.map(str::to_owned)))
    }

    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

/// A validated registration.
pub struct EndpointRegistration {
    pub url: EndpointUrl,
    pub subscription: Subscription,
    pub description: Description,
}

/// Why a registration was refused (everything the person can fix).
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error(transparent)]
    Url(#[from] UrlProblem),
    #[error(transparent)]
    Subscription(#[from] SubscriptionProblem),
    #[error(transparent)]
    Description(#[from] DescriptionTooLong),
    #[error(
        "a company has at most {} webhook endpoints",
        webhooks::MAX_ENDPOINTS_PER_COMPANY
    )]
    TooMany,
    #[error("this company already has an endpoint with this URL")]
    Duplicate,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// What seals a secret for an endpoint: the endpoint and company name the ciphertext.
pub fn secret_binding(endpoint_id: EndpointId, company_id: CompanyId) -> Vec<u8> {
    format!("webhook_endpoints/{endpoint_id}/company/{company_id}/secret").into_bytes()
}

/// What `rotate-keys` did to webhook secrets: re-sealed, and those that do not open (ids).
#[derive(Debug, Default)]
pub struct SecretRotation {
    pub resealed: usize,
    pub unreadable: Vec<EndpointId>,
}

/// Re-seals every endpoint secret not sealed with the vault's current key (`rotate-keys`).
pub fn rotate_secrets(
    conn: &mut crate::db::DbConnection,
    vault: &TokenVault,
) -> diesel::QueryResult<SecretRotation> {
    let current = vault.current_key().as_str().to_owned();
    let mut rotation = SecretRotation::default();
    for (endpoint_id, company_id, key_id, sealed) in
        webhooks::secrets_sealed_with_other_keys(conn, &current)?
    {
        let binding = secret_binding(endpoint_id, company_id);
        let resealed = vault
            .open_bound(&key_id, &binding, &sealed)
            .and_then(|plain| vault.seal_bound(&binding, &plain));
        let Ok(resealed) = resealed else {
            tracing::error!(endpoint = endpoint_id.get(), key_id = %key_id, "a webhook secret does not open with its key; left as it is");
            rotation.unreadable.push(endpoint_id);
            continue;
        };
        rotation.resealed +=
            webhooks::reseal_secret(conn, endpoint_id, &key_id, &current, &resealed)?;
    }
    Ok(rotation)
}

/// Registering, removing, enabling endpoints and redelivering; every change audited.
#[derive(Clone)]
pub struct WebhookService {
    db: Db,
    vault: Arc<TokenVault>,
    audit: AuditLog,
    allow_private: bool,
}

impl WebhookService {
    pub fn new(db: Db, vault: Arc<TokenVault>, audit: AuditLog, allow_private: bool) -> Self {
        WebhookService {
            db,
            vault,
            audit,
            allow_private,
        }
    }

    /// Whether private addresses are allowed (`ANAF_PORTAL_WEBHOOK_ALLOW_PRIVATE`).
    pub fn allow_private(&self) -> bool {
        self.allow_private
    }

    /// Parses what a person or the API sent.
    pub fn parse<'a>(
        &self,
        url: &str,
        events: impl IntoIterator<Item = &'a str>,
        description: Option<&str>,
    ) -> Result<EndpointRegistration, RegisterError> {
        Ok(EndpointRegistration {
            url: EndpointUrl::parse(url, self.allow_private)?,
            subscription: Subscription::parse(events)?,
            description: Description::parse(description)?,
        })
    }

    /// Registers an endpoint for `company_id`: the new row and its secret (to show once).
    pub async fn register(
        &self,
        actor: &Actor,
        company_id: CompanyId,
        registration: EndpointRegistration,
    ) -> Result<(Endpoint, SigningSecret), RegisterError> {
        let created_by = actor
            .user_id
            .ok_or_else(|| anyhow::anyhow!("an endpoint is registered by a person"))?;
        let secret = SigningSecret::generate();
        let sealed_text = SecretString::from(secret.expose().to_owned());
        let vault = self.vault.clone();
        let url = registration.url.as_str().to_owned();
        let events = registration.subscription.stored();
        let description = registration.description.as_deref().map(str::to_owned);
        let created = self
            .db
            .run(move |conn| {
                let seal = |endpoint_id: EndpointId| -> Result<_, VaultError> {
                    let ciphertext =
                        vault.seal_bound(&secret_binding(endpoint_id, company_id), &sealed_text)?;
                    Ok((vault.current_key().as_str().to_owned(), ciphertext))
                };
                let new = NewEndpoint {
                    company_id,
                    url: &url,
                    events: &events,
                    description: description.as_deref(),
                    created_by,
                };
                Ok(webhooks::create_endpoint(conn, new, seal))
            })
            .await?;
        let endpoint = match created {
            Ok(endpoint) => endpoint,
            Err(CreateEndpointError::TooMany) => return Err(RegisterError::TooMany),
            Err(CreateEndpointError::Duplicate) => return Err(RegisterError::Duplicate),
            Err(e) => return Err(anyhow::Error::from(e).into()),
        };
        self.audit
            .record(
                actor,
                AuditEvent::success(AuditAction::WebhookCreated)
                    .company(company_id)
                    .detail(format!("endpoint {} ({})", endpoint.id, endpoint.events)),
            )
            .await;
        Ok((endpoint, secret))
    }

    /// Deletes an endpoint of `company_id`; false when there is none with this id.
    pub async fn delete(
        &self,
        actor: &Actor,
        company_id: CompanyId,
        endpoint_id: EndpointId,
    ) -> anyhow::Result<bool> {
        let deleted = self
            .db
            .run(move |conn| Ok(webhooks::delete_endpoint(conn, company_id, endpoint_id)?))
            .await?;
        if deleted {
            self.audit
                .record(
                    actor,
                    AuditEvent::success(AuditAction::WebhookDeleted)
                        .company(company_id)
                        .detail(format!("endpoint {endpoint_id}")),
                )
                .await;
        }
        Ok(deleted)
    }

    /// Enables a disabled endpoint; false when it was not disabled.
    pub async fn enable(
        &self,
        actor: &Actor,
        company_id: CompanyId,
        endpoint_id: EndpointId,
    ) -> anyhow::Result<bool> {
        let enabled = self
            .db
            .run(move |conn| Ok(webhooks::enable_endpoint(conn, company_id, endpoint_id)?))
            .await?;
        if enabled {
            self.audit
                .record(
                    actor,
                    AuditEvent::success(AuditAction::WebhookEnabled)
                        .company(company_id)
                        .detail(format!("endpoint {endpoint_id}")),
                )
                .await;
        }
        Ok(enabled)
    }

    /// Queues a delivery's message again; false when the endpoint has no such delivery.
    pub async fn redeliver(
        &self,
        actor: &Actor,
        endpoint: &Endpoint,
        delivery_id: DeliveryId,
    ) -> anyhow::Result<bool> {
        let endpoint_id = endpoint.id;
        let queued = self
            .db
            .run(move |conn| Ok(webhooks::redeliver(conn, endpoint_id, delivery_id)?))
            .await?;
        if let Some(new_id) = queued {
            self.audit
                .record(
                    actor,
                    AuditEvent::success(AuditAction::WebhookRedelivered)
                        .company(endpoint.company_id)
                        .detail(format!(
                            "endpoint {endpoint_id}: delivery {delivery_id} queued again as {new_id}"
                        )),
                )
                .await;
        }
        Ok(queued.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subscription_names_known_webhook_events_at_least_once() {
        let s = Subscription::parse(["token.deleted", "token.connected", "token.deleted"])
            .expect("valid");
        assert_eq!(s.stored(), "token.connected token.deleted");
        assert_eq!(Subscription::parse([]), Err(SubscriptionProblem::Empty));
        assert!(matches!(
            Subscription::parse(["webhook.disabled"]),
            Err(SubscriptionProblem::Unknown(_))
        ));
        assert!(matches!(
            Subscription::parse(["token.nope"]),
            Err(SubscriptionProblem::Unknown(_))
        ));
    }

    #[test]
    fn descriptions_are_trimmed_optional_and_short() {
        assert_eq!(Description::parse(Some("  ")).expect("ok").as_deref(), None);
        assert_eq!(
            Description::parse(Some(" ERP ")).expect("ok").as_deref(),
            Some("ERP")
        );
        assert!(Description::parse(Some(&"x".repeat(201))).is_err());
    }
}
