//! Posting due deliveries: claimed with a lease (so one instance sends each), a few at a time,
//! each attempt recorded with what the endpoint answered. The HTTP client follows no redirect,
//! uses no proxy (a proxy would resolve names itself, past the address rule), gives up after
//! 10 s, and resolves names through `GuardedResolver`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::TimeDelta;
use futures_util::StreamExt;
use secrecy::SecretString;

use crate::db::Db;
use crate::db::models::now;
use crate::db::models::webhooks::{self, AfterAttempt, AttemptRecord, ClaimedDelivery};
use crate::services::tokens::vault::TokenVault;
use crate::services::webhooks::address::{EndpointUrl, GuardedResolver};
use crate::services::webhooks::payload::WebhookPayload;
use crate::services::webhooks::secret_binding;
use crate::services::webhooks::signing::SigningSecret;

/// How long one request may take, connection included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Deliveries claimed per round, and how many are in flight at once.
const BATCH: i64 = 16;
const IN_FLIGHT: usize = 4;
/// A claim outlives the longest attempt comfortably; one that runs out means its holder died.
const CLAIM: TimeDelta = TimeDelta::seconds(60);
/// How much of an answer is kept.
pub const EXCERPT_BYTES: usize = 1024;

#[derive(Clone)]
pub struct WebhookSender {
    db: Db,
    vault: Arc<TokenVault>,
    client: reqwest::Client,
    allow_private: bool,
}

impl WebhookSender {
    pub fn new(db: Db, vault: Arc<TokenVault>, allow_private: bool) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(REQUEST_TIMEOUT)
            .dns_resolver(Arc::new(GuardedResolver { allow_private }))
            .user_agent(concat!("anaf-portal-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(WebhookSender {
            db,
            vault,
            client,
            allow_private,
        })
    }

    /// Sends every delivery that is due; how many attempts were made.
    pub async fn send_due(&self) -> anyhow::Result<usize> {
        let mut attempted = 0;
        loop {
            let at = now();
            let claimed = self
                .db
                .run(move |conn| Ok(webhooks::claim_due(conn, at, at + CLAIM, BATCH)?))
                .await?;
            if claimed.is_empty() {
                return Ok(attempted);
            }
            attempted += claimed.len();
            let results: Vec<anyhow::Result<()>> = futures_util::stream::iter(claimed)
                .map(|delivery| self.deliver(delivery))
                .buffer_unordered(IN_FLIGHT)
                .collect()
                .await;
            // A failure to record stops the round; the claims run out and are taken again.
            results.into_iter().collect::<anyhow::Result<Vec<()>>>()?;
        }
    }

    async fn deliver(&self, delivery: ClaimedDelivery) -> anyhow::Result<()> {
        let attempt = self.attempt(&delivery).await;
        let delivery_id = delivery.id.get();
        let endpoint_id = delivery.endpoint.id.get();
        let after = self
            .db
            .run(move |conn| Ok(webhooks::record_attempt(conn, &delivery, &attempt)?))
            .await?;
        match after {
            AfterAttempt::Delivered => {
                tracing::debug!(
                    delivery = delivery_id,
                    endpoint = endpoint_id,
                    "webhook delivered"
                );
            }
            AfterAttempt::RetryAt(next) => {
                tracing::info!(delivery = delivery_id, endpoint = endpoint_id, next = %next, "webhook attempt failed; retried later");
            }
            AfterAttempt::GaveUp => {
                tracing::warn!(
                    delivery = delivery_id,
                    endpoint = endpoint_id,
                    "webhook delivery failed for a day; given up"
                );
            }
            AfterAttempt::EndpointGone => {
                tracing::debug!(
                    delivery = delivery_id,
                    "webhook endpoint deleted during an attempt"
                );
            }
            AfterAttempt::EndpointDisabled => {
                tracing::warn!(
                    endpoint = endpoint_id,
                    "webhook endpoint failing for 5 days: disabled"
                );
            }
        }
        Ok(())
    }

    /// One POST of a delivery, and what came of it (never an error: a failure is a result).
    async fn attempt(&self, delivery: &ClaimedDelivery) -> AttemptRecord {
        let attempted_at = now();
        let started = Instant::now();
        let failed = |error: String| AttemptRecord {
            attempted_at,
            http_status: None,
            duration_ms: elapsed_ms(started),
            error: Some(error),
            response_excerpt: None,
        };
        // The rule applies to endpoints registered before it tightened, too.
        let url = match EndpointUrl::parse(&delivery.endpoint.url, self.allow_private) {
            Ok(url) => url,
            Err(problem) => return failed(format!("refused: {problem}")),
        };
        let secret = match self.secret(delivery) {
            Some(secret) => secret,
            None => {
                return failed(
                    "the signing secret cannot be decrypted with the configured keys".to_owned(),
                );
            }
        };
        let body = WebhookPayload::of(&delivery.event).body();
        let timestamp = chrono::Utc::now().timestamp();
        let request = self
            .client
            .post(url.as_url().clone())
            .header("content-type", "application/json")
            .header("webhook-id", &delivery.message_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header(
                "webhook-signature",
                secret.sign(&delivery.message_id, timestamp, &body),
            )
            .body(body);
        let mut response = match request.send().await {
            Ok(response) => response,
            Err(error) => return failed(describe(error)),
        };
        let status = response.status().as_u16();
        let mut excerpt = Vec::new();
        let mut read_error = None;
        while excerpt.len() < EXCERPT_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => excerpt.extend_from_slice(&chunk),
                Ok(None) => break,
                Err(error) => {
                    read_error = Some(describe(error));
                    break;
                }
            }
        }
        AttemptRecord {
            attempted_at,
            http_status: Some(status),
            duration_ms: elapsed_ms(started),
            // A 2xx whose body broke off still arrived: the status is the receiver's answer.
            error: read_error.filter(|_| !(200..300).contains(&status)),
            response_excerpt: Some(excerpt_text(&excerpt)).filter(|t| !t.is_empty()),
        }
    }

    fn secret(&self, delivery: &ClaimedDelivery) -> Option<SigningSecret> {
        let endpoint = &delivery.endpoint;
        let opened: SecretString = self
            .vault
            .open_bound(
                &endpoint.key_id,
                &secret_binding(endpoint.id, endpoint.company_id),
                &endpoint.secret_ciphertext,
            )
            .map_err(|e| tracing::error!(endpoint = endpoint.id.get(), error = %e, "webhook secret unreadable"))
            .ok()?;
        SigningSecret::parse(opened).ok()
    }
}

fn elapsed_ms(started: Instant) -> i32 {
    i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX)
}

/// At most `EXCERPT_BYTES` of the answer as text, cut on a character boundary.
fn excerpt_text(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(EXCERPT_BYTES)]);
    let mut end = text.len().min(EXCERPT_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// A request error in words, its causes included (the address rule's refusal among them),
/// without the URL (its path or query may hold the receiver's own secret).
fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    if error.is_timeout() {
        return format!("timed out after {} s", REQUEST_TIMEOUT.as_secs());
    }
    let mut words = vec![error.to_string()];
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !words.iter().any(|w| w.contains(&text)) {
            words.push(text);
        }
        source = cause.source();
    }
    // The refusal, when there is one, is the news: say it first.
    if let Some(refusal) = words.iter().position(|w| w.starts_with("refused:")) {
        let refused = words.remove(refusal);
        words.insert(0, refused);
    }
    words.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_keep_a_kilobyte_on_a_character_boundary() {
        assert_eq!(excerpt_text(b"ok"), "ok");
        let long = "ă".repeat(1000);
        let cut = excerpt_text(long.as_bytes());
        assert!(cut.len() <= EXCERPT_BYTES);
        assert!(cut.chars().all(|c| c == 'ă'));
    }
}
