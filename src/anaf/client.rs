//! The portal's client for ANAF's OAuth server and the e-Factura rights check, written by hand for
//! ANAF's quirks: Basic client authentication, `token_content_type=jwt` on authorize and token
//! requests, HTTP 200 answers that carry business errors, a revoke endpoint that may only redirect.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use crate::domain::Cif;

pub use crate::domain::EfacturaEnvironment;

/// Where ANAF is and who we are to it.
#[derive(Debug, Clone)]
pub struct AnafEndpoints {
    /// Base of the OAuth server as the *browser* reaches it (authorize redirects).
    pub browser_oauth_url: Url,
    /// Base of the OAuth server as this server reaches it (token, revoke).
    pub server_oauth_url: Url,
    /// Base of the API server (hello, e-Factura).
    pub api_url: Url,
    /// Base of the public company registry (`anaf::registry`).
    pub registry_url: Url,
    pub client_id: String,
    pub client_secret: SecretString,
    pub redirect_uri: Url,
    /// The authorization server's identifier: a callback's `iss`, when present, must equal it.
    pub issuer: String,
    /// Sent as `scope` on authorize when set.
    pub scope: Option<String>,
    pub environment: EfacturaEnvironment,
    pub pkce: bool,
    pub timeout: Duration,
    /// How long a refresh waits for the answer: generous, ANAF is sometimes slow, and giving up
    /// early does not undo a refresh ANAF completes.
    pub refresh_timeout: Duration,
}

/// A successful token answer. ANAF may omit the refresh token on refresh; the old one is kept then.
pub struct TokenResponse {
    pub access_token: SecretString,
    pub refresh_token: Option<SecretString>,
    /// When the access token ends as the server states it: `expires_in` counted from the moment
    /// its answer arrived. A JWT's `exp` may say later; the earlier of the two counts.
    pub stated_expiry: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum AnafError {
    /// No connection could be made: the request was never sent.
    #[error("ANAF could not be reached")]
    Unreachable,
    /// Sent, but no answer came in time: ANAF may have acted on it.
    #[error("ANAF did not answer in time")]
    Timeout,
    /// Sent, but the connection closed before the answer: ANAF may have acted on it.
    #[error("the connection to ANAF closed before its answer")]
    Dropped,
    #[error("ANAF answered with HTTP {0}")]
    Server(u16),
    /// HTTP 429, with ANAF's `Retry-After` in seconds when it sent one.
    #[error("ANAF is limiting requests (HTTP 429)")]
    RateLimited(Option<u64>),
    /// With ANAF's `error_description`, empty when it sent none.
    #[error("{}", refused("ANAF refused the grant", .0))]
    InvalidGrant(String),
    #[error("ANAF refused the portal's client credentials")]
    InvalidClient,
    #[error("{}", refused("ANAF refused the request", .0))]
    InvalidRequest(String),
    #[error("ANAF's answer could not be understood")]
    Malformed,
    #[error("ANAF's new token was unusable: {0}")]
    UnusableToken(crate::anaf::jwt::JwtProblem),
}

/// "ANAF refused …: what it said", or a sentence of its own when ANAF said nothing (an OAuth
/// error without `error_description`), never one that ends in a colon.
fn refused(what: &str, said: &str) -> String {
    match said.trim() {
        "" => format!("{what} without saying why"),
        said => format!("{what}: {said}"),
    }
}

impl AnafError {
    /// Temporary failures leave a token's status alone; the others are ANAF's final word.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            AnafError::Unreachable
                | AnafError::Timeout
                | AnafError::Dropped
                | AnafError::Server(_)
                | AnafError::RateLimited(_)
                | AnafError::Malformed
                | AnafError::UnusableToken(_)
        )
    }

    /// Whether ANAF may have acted on the request although its answer was not received.
    pub fn outcome_unknown(&self) -> bool {
        matches!(self, AnafError::Timeout | AnafError::Dropped)
    }
}

/// What the `listaMesajeFactura` probe says about a token's SPV rights for one CIF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RightsVerdict {
    Granted,
    Denied(String),
    Unknown(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokeOutcome {
    Confirmed,
    NotConfirmed,
}

#[derive(Deserialize)]
struct TokenBody {
    access_token: Option<String>,
    refresh_token: Option<String>,
    /// A number, or (some servers) a number in a string.
    expires_in: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: Option<String>,
    error_description: Option<String>,
}

#[derive(Deserialize)]
struct ListaBody {
    mesaje: Option<serde_json::Value>,
    eroare: Option<String>,
}

pub struct AnafClient {
    http: reqwest::Client,
    /// For refreshes only. They run as their own tasks on the application's main runtime, which
    /// outlives the HTTP workers; a connection a worker opened lives on that worker's runtime and
    /// dies with it at shutdown, so a refresh must never borrow one from the shared pool.
    refresh_http: reqwest::Client,
    endpoints: AnafEndpoints,
    /// Lets each call go when the portal's ANAF budget allows.
    gate: Arc<dyn CallGate>,
}

/// Whose call to ANAF this is: a person (or an API client) waiting for it, or the portal's own
/// background work, which leaves part of the budget to people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    Person,
    Background,
}

tokio::task_local! {
    /// Set around the portal's background work; calls made outside it are a person's.
    static PRIORITY: Priority;
}

impl Priority {
    /// Its name in logs and metrics.
    pub fn name(self) -> &'static str {
        match self {
            Priority::Person => "person",
            Priority::Background => "background",
        }
    }

    /// The priority of calls made by the task running now.
    pub fn current() -> Priority {
        PRIORITY.try_with(|p| *p).unwrap_or(Priority::Person)
    }

    /// Runs `work` with its ANAF calls at this priority.
    pub async fn scope<F: Future>(self, work: F) -> F::Output {
        PRIORITY.scope(self, work).await
    }
}

/// Decides when a call to ANAF may go (the portal-wide budget, `engine::budget`), and hears of
/// ANAF's 429s, which pause every call.
pub trait CallGate: Send + Sync {
    /// Resolves when a call of this priority may go (waiting for the next minute's budget at
    /// most), or with `RateLimited` while every call is paused after a 429: the caller gives up
    /// rather than hold a refresh lease through the pause.
    fn admit(
        &self,
        priority: Priority,
    ) -> Pin<Box<dyn Future<Output = Result<(), AnafError>> + Send + '_>>;
    /// ANAF answered 429, with its `Retry-After` in seconds when it sent one.
    fn rate_limited(
        &self,
        retry_after: Option<u64>,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

fn join(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let joined = format!(
        "{}/{}",
        base.path().trim_end_matches('/'),
        path.trim_start_matches('/')
    );
    url.set_path(&joined);
    url
}

pub(crate) fn transport_error(error: &reqwest::Error) -> AnafError {
    if error.is_connect() {
        AnafError::Unreachable
    } else if error.is_timeout() {
        AnafError::Timeout
    } else if error.is_decode() {
        AnafError::Malformed
    } else {
        AnafError::Dropped
    }
}

/// `Retry-After` in seconds (the delay form; a date is read as "unknown").
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<u64> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

impl AnafClient {
    pub fn new(endpoints: AnafEndpoints, gate: Arc<dyn CallGate>) -> anyhow::Result<AnafClient> {
        let client = || {
            reqwest::Client::builder()
                .timeout(endpoints.timeout)
                .connect_timeout(endpoints.timeout.min(Duration::from_secs(5)))
                // A redirect is an answer in its own right here (revoke); never follow one.
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(concat!("anaf-portal/", env!("CARGO_PKG_VERSION")))
                .build()
        };
        Ok(AnafClient {
            http: client()?,
            refresh_http: client()?,
            endpoints,
            gate,
        })
    }

    /// Sends `request` to `endpoint` (its name in the metrics) once the budget lets it go; a 429
    /// answer pauses every call for its `Retry-After`.
    async fn send(
        &self,
        endpoint: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, AnafError> {
        self.gate.admit(Priority::current()).await?;
        let sent = request.send().await;
        crate::metrics::anaf_call(endpoint, sent.as_ref().ok().map(|r| r.status().as_u16()));
        let response = sent.map_err(|e| transport_error(&e))?;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            self.gate
                .rate_limited(retry_after(response.headers()))
                .await;
        }
        Ok(response)
    }

    pub fn endpoints(&self) -> &AnafEndpoints {
        &self.endpoints
    }

    /// Where to send the browser; `state` and the PKCE challenge come from the OAuth transaction.
    pub fn authorize_url(&self, state: &str, code_challenge: Option<&str>) -> Url {
        let mut url = join(&self.endpoints.browser_oauth_url, "authorize");
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("response_type", "code")
                .append_pair("client_id", &self.endpoints.client_id)
                .append_pair("redirect_uri", self.endpoints.redirect_uri.as_str())
                .append_pair("token_content_type", "jwt")
                .append_pair("state", state);
            if let Some(scope) = &self.endpoints.scope {
                query.append_pair("scope", scope);
            }
            if let Some(challenge) = code_challenge {
                query
                    .append_pair("code_challenge", challenge)
                    .append_pair("code_challenge_method", "S256");
            }
        }
        url
    }

    pub async fn exchange_code(
        &self,
        code: &str,
        code_verifier: Option<&str>,
    ) -> Result<TokenResponse, AnafError> {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", self.endpoints.redirect_uri.as_str()),
            ("token_content_type", "jwt"),
        ];
        if let Some(verifier) = code_verifier {
            form.push(("code_verifier", verifier));
        }
        self.token_request(&self.http, &form, self.endpoints.timeout)
            .await
    }

    /// Exchanges a refresh token for a new pair, waiting up to `refresh_timeout` for the answer.
    pub async fn refresh(&self, refresh_token: &SecretString) -> Result<TokenResponse, AnafError> {
        self.token_request(
            &self.refresh_http,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token.expose_secret()),
                ("token_content_type", "jwt"),
            ],
            self.endpoints.refresh_timeout,
        )
        .await
    }

    async fn token_request(
        &self,
        http: &reqwest::Client,
        form: &[(&str, &str)],
        timeout: Duration,
    ) -> Result<TokenResponse, AnafError> {
        let request = http
            .post(join(&self.endpoints.server_oauth_url, "token"))
            .basic_auth(
                &self.endpoints.client_id,
                Some(self.endpoints.client_secret.expose_secret()),
            )
            .timeout(timeout)
            .form(form);
        let response = self.send("token", request).await?;
        // `expires_in` counts from here, not from whenever the pair gets stored.
        let received_at = chrono::Utc::now();
        let status = response.status();
        let wait = retry_after(response.headers());
        let body = response.bytes().await.map_err(|e| transport_error(&e))?;
        if status.is_success() {
            let parsed: TokenBody =
                serde_json::from_slice(&body).map_err(|_| AnafError::Malformed)?;
            let access_token = parsed
                .access_token
                .filter(|t| !t.is_empty())
                .ok_or(AnafError::Malformed)?;
            let stated_expiry = parsed
                .expires_in
                .and_then(|v| v.as_i64().or_else(|| v.as_str()?.trim().parse().ok()))
                .filter(|seconds| *seconds > 0)
                .and_then(chrono::TimeDelta::try_seconds)
                .and_then(|lifetime| received_at.checked_add_signed(lifetime));
            return Ok(TokenResponse {
                access_token: SecretString::from(access_token),
                refresh_token: parsed
                    .refresh_token
                    .filter(|t| !t.is_empty())
                    .map(SecretString::from),
                stated_expiry,
            });
        }
        Err(classify_error(status, wait, &body))
    }

    /// Best effort, RFC 7009 style. Anything but a 2xx (ANAF reportedly redirects to a login
    /// page) means the token was not revoked at ANAF.
    pub async fn revoke(&self, token: &SecretString, hint: &str) -> RevokeOutcome {
        let request = self
            .http
            .post(join(&self.endpoints.server_oauth_url, "revoke"))
            .basic_auth(
                &self.endpoints.client_id,
                Some(self.endpoints.client_secret.expose_secret()),
            )
            .timeout(self.endpoints.timeout.min(Duration::from_secs(5)))
            .form(&[("token", token.expose_secret()), ("token_type_hint", hint)]);
        let sent = self.send("revoke", request).await;
        match sent {
            Ok(response) if response.status().is_success() => RevokeOutcome::Confirmed,
            Ok(response) => {
                tracing::info!(
                    status = response.status().as_u16(),
                    "ANAF did not confirm the revocation"
                );
                RevokeOutcome::NotConfirmed
            }
            Err(e) => {
                tracing::info!(error = %e, "revocation request failed");
                RevokeOutcome::NotConfirmed
            }
        }
    }

    /// ANAF's OAuth test service: does ANAF accept this access token at all?
    pub async fn hello(&self, access_token: &SecretString) -> Result<bool, AnafError> {
        let mut url = join(&self.endpoints.api_url, "TestOauth/jaxrs/hello");
        url.query_pairs_mut().append_pair("name", "anaf-portal");
        let request = self.http.get(url).bearer_auth(access_token.expose_secret());
        let response = self.send("hello", request).await?;
        match response.status() {
            s if s.is_success() => Ok(true),
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Ok(false),
            StatusCode::TOO_MANY_REQUESTS => {
                Err(AnafError::RateLimited(retry_after(response.headers())))
            }
            s => Err(AnafError::Server(s.as_u16())),
        }
    }

    /// Asks `listaMesajeFactura` for one day of messages; the `eroare` text is the verdict.
    pub async fn probe_rights(&self, access_token: &SecretString, cif: &Cif) -> RightsVerdict {
        let mut url = join(
            &self.endpoints.api_url,
            &format!(
                "{}/FCTEL/rest/listaMesajeFactura",
                self.endpoints.environment.path()
            ),
        );
        url.query_pairs_mut()
            .append_pair("zile", "1")
            .append_pair("cif", cif.as_str());
        let request = self.http.get(url).bearer_auth(access_token.expose_secret());
        let response = match self.send("lista", request).await {
            Ok(response) => response,
            Err(e) => return RightsVerdict::Unknown(e.to_string()),
        };
        let status = response.status();
        if !status.is_success() {
            let error = match status {
                StatusCode::TOO_MANY_REQUESTS => {
                    AnafError::RateLimited(retry_after(response.headers()))
                }
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                    return RightsVerdict::Unknown(format!(
                        "ANAF refused the token for e-Factura (HTTP {})",
                        status.as_u16()
                    ));
                }
                s => AnafError::Server(s.as_u16()),
            };
            return RightsVerdict::Unknown(error.to_string());
        }
        let body: ListaBody = match response.json().await {
            Ok(body) => body,
            Err(_) => return RightsVerdict::Unknown(AnafError::Malformed.to_string()),
        };
        verdict_from(body)
    }
}

fn verdict_from(body: ListaBody) -> RightsVerdict {
    if body.mesaje.is_some() {
        return RightsVerdict::Granted;
    }
    match body.eroare {
        None => RightsVerdict::Unknown(AnafError::Malformed.to_string()),
        Some(text) => {
            let lower = text.to_lowercase();
            if lower.contains("nu exista mesaje") {
                RightsVerdict::Granted
            } else if lower.contains("nu aveti drept") || lower.contains("nu exista niciun cif") {
                RightsVerdict::Denied(text)
            } else {
                RightsVerdict::Unknown(text)
            }
        }
    }
}

fn classify_error(status: StatusCode, retry_after: Option<u64>, body: &[u8]) -> AnafError {
    if status == StatusCode::TOO_MANY_REQUESTS {
        return AnafError::RateLimited(retry_after);
    }
    if status.is_server_error() {
        return AnafError::Server(status.as_u16());
    }
    let parsed: Option<ErrorBody> = serde_json::from_slice(body).ok();
    let (code, description) = parsed
        .map(|b| {
            (
                b.error.unwrap_or_default(),
                b.error_description.unwrap_or_default(),
            )
        })
        .unwrap_or_default();
    // Some report `invalid_request` with the same expiry text for a dead refresh token.
    let expired = description.to_lowercase().contains("expired");
    match code.as_str() {
        "invalid_grant" => AnafError::InvalidGrant(description),
        "invalid_request" if expired => AnafError::InvalidGrant(description),
        "invalid_client" | "unauthorized_client" => AnafError::InvalidClient,
        "" if status == StatusCode::UNAUTHORIZED => AnafError::InvalidClient,
        "" => AnafError::Server(status.as_u16()),
        _ => AnafError::InvalidRequest(if description.is_empty() {
            code
        } else {
            description
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(json: &str) -> RightsVerdict {
        verdict_from(serde_json::from_str(json).unwrap())
    }

    #[test]
    fn rights_verdicts_follow_the_eroare_text() {
        assert_eq!(
            verdict(r#"{"mesaje":[],"serial":"x"}"#),
            RightsVerdict::Granted
        );
        assert_eq!(
            verdict(r#"{"eroare":"Nu exista mesaje in ultimele 1 zile","titlu":"Lista Mesaje"}"#),
            RightsVerdict::Granted
        );
        assert!(matches!(
            verdict(r#"{"eroare":"Nu aveti drept in SPV pentru CIF=18547290"}"#),
            RightsVerdict::Denied(_)
        ));
        assert!(matches!(
            verdict(r#"{"eroare":"Nu exista niciun CIF pentru care sa aveti drept in SPV"}"#),
            RightsVerdict::Denied(_)
        ));
        assert!(matches!(
            verdict(r#"{"eroare":"S-au facut deja 1500 interogari de lista mesaje"}"#),
            RightsVerdict::Unknown(_)
        ));
    }

    #[test]
    fn token_errors_are_classified() {
        let e = |status: u16, body: &str| {
            classify_error(StatusCode::from_u16(status).unwrap(), None, body.as_bytes())
        };
        assert!(matches!(
            e(400, r#"{"error":"invalid_grant","error_description":"x"}"#),
            AnafError::InvalidGrant(_)
        ));
        assert!(matches!(
            e(
                400,
                r#"{"error":"invalid_request","error_description":"Refresh Token status is expired"}"#
            ),
            AnafError::InvalidGrant(_)
        ));
        assert_eq!(
            e(401, r#"{"error":"invalid_client"}"#),
            AnafError::InvalidClient
        );
        assert_eq!(e(429, ""), AnafError::RateLimited(None));
        // Without `error_description`, still a whole sentence.
        let silent = e(400, r#"{"error":"invalid_grant"}"#);
        assert_eq!(silent, AnafError::InvalidGrant(String::new()));
        assert_eq!(
            silent.to_string(),
            "ANAF refused the grant without saying why"
        );
        assert_eq!(
            AnafError::InvalidGrant("Invalid refresh token.".into()).to_string(),
            "ANAF refused the grant: Invalid refresh token."
        );
        assert_eq!(e(503, "<html>"), AnafError::Server(503));
    }
}
