//! Connect ANAF: the authorization-code redirect and the callback.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

use crate::anaf::client::{AnafError, RightsVerdict};
use crate::db::models::companies::{self, Company};
use crate::db::models::now;
use crate::db::models::oauth_transactions::{self, NewTransaction, Transaction};
use crate::domain::{AuditAction, AuditEvent};
use crate::error::AppError;
use crate::http::auth::session::FlashLevel;
use crate::http::auth::{CurrentUser, PortalSession, current_user};
use crate::http::state::AppState;
use crate::http::web::access::{self, Need};
use crate::http::web::page::{Page, html, see_other};
use crate::http::web::templates::ConnectFailedPage;
use crate::i18n::{Catalog, Lang};
use crate::secrets::{pkce_seed_and_challenge, pkce_verifier, random_token, sha256_hex};
use crate::services::tokens::{ConnectError, StorePairError};

/// How long a started Connect ANAF may take to come back.
const TRANSACTION_LIFETIME_MINUTES: i64 = 10;

/// Ties a transaction to the browser session that started it, without storing the session's token.
fn session_binding(req: &HttpRequest) -> String {
    sha256_hex(&PortalSession::of(req).csrf_token())
}

pub async fn start(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (company, _) = access::company(&state, &user.0, path.into_inner(), Need::Admin).await?;
    // 256 random bits; only its hash is stored.
    let oauth_state = random_token(32);
    // The row keeps only the verifier's seed (see `secrets::pkce_verifier`).
    let (seed, challenge) = match state.config.anaf.pkce {
        true => {
            let (seed, challenge) = pkce_seed_and_challenge(&oauth_state);
            (Some(seed), Some(challenge))
        }
        false => (None, None),
    };
    let binding = session_binding(&req);
    let state_hash = sha256_hex(&oauth_state);
    let (user_id, company_id) = (user.0.id, company.id);
    state
        .db
        .run(move |conn| {
            let at = now();
            oauth_transactions::insert(
                conn,
                &NewTransaction {
                    state_hash: &state_hash,
                    session_binding: &binding,
                    user_id,
                    company_id,
                    pkce_verifier: seed.as_deref(),
                    created_at: at,
                    expires_at: at + TimeDelta::minutes(TRANSACTION_LIFETIME_MINUTES),
                },
            )?;
            // Housekeeping: forget transactions that ended over a day ago.
            oauth_transactions::delete_older_than(conn, at - TimeDelta::days(1))?;
            Ok(())
        })
        .await?;
    state
        .tokens
        .audit()
        .record(
            &state.actor(&req, Some(user_id)),
            AuditEvent::success(AuditAction::ConnectStarted).company(company_id),
        )
        .await;
    let url = state
        .tokens
        .anaf()
        .authorize_url(&oauth_state, challenge.as_deref());
    Ok(see_other(url.as_str()))
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
    /// RFC 9207: the authorization server that answers, when it says.
    iss: Option<String>,
}

/// Why a callback was not accepted; each has its own explanation page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum Failure {
    SessionEnded,
    StateMissing,
    StateUnknown,
    StateExpired,
    StateReused,
    StateForeign,
    /// The person cancelled or had no certificate; or the server said why (`error_description`).
    AccessDenied(Option<String>),
    AnafError(String),
    /// The answer names another authorization server than the configured one (RFC 9207).
    WrongIssuer,
    CodeMissing,
    Anaf(AnafError),
    TokenUnusable(String),
    AlreadyStored,
}

pub async fn callback(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<CallbackQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    // ANAF has one registered redirect URI: a Connect ANAF started from an authorization link
    // comes back here too, from a holder who has no session to check.
    if let Some(oauth_state) = query.state.as_deref()
        && state.links.owns_state(oauth_state).await?
    {
        return crate::http::web::links::callback(&req, &state, &query, oauth_state).await;
    }
    // Not the CurrentUser extractor: a lost session must not bounce to /login?next= with the
    // code in the URL.
    let Some(user) = current_user::load(&req).await? else {
        return failure_redirect(&req, Failure::SessionEnded, None);
    };
    let transaction = match claim_transaction(&req, &state, user.id, query.state.as_deref()).await?
    {
        Ok(transaction) => transaction,
        Err(failure) => return failure_redirect(&req, failure, None),
    };
    let company_id = transaction.company_id;
    let user_id = user.id;
    let company = state
        .db
        .run(move |conn| Ok(companies::find_for_member(conn, company_id, user_id)?))
        .await?
        .map(|(company, _)| company)
        .ok_or(AppError::NotFound)?;
    let actor = state.actor(&req, Some(user.id));
    let code = match parse_answer(&query, &state.tokens.anaf().endpoints().issuer) {
        Ok(code) => code,
        Err(failure) => {
            state
                .tokens
                .audit()
                .record(
                    &actor,
                    AuditEvent::failure(AuditAction::ConnectFailed)
                        .company(company.id)
                        .detail(failure_code(&failure)),
                )
                .await;
            return failure_redirect(&req, failure, Some(&company));
        }
    };
    // Claiming the transaction needed the state, so it is there.
    let code_verifier = transaction
        .pkce_verifier
        .as_deref()
        .zip(query.state.as_deref())
        .map(|(seed, oauth_state)| pkce_verifier(oauth_state, seed));
    let connected = state
        .tokens
        .connect(&actor, &company, code, code_verifier.as_deref())
        .await;
    match connected {
        Ok((_, verdict)) => {
            let t = Lang::from_request(&req).catalog();
            let (level, message) = match &verdict {
                RightsVerdict::Granted => (FlashLevel::Success, t.get("connect-done")),
                RightsVerdict::Denied(_) => (FlashLevel::Error, t.get("connect-done_no_rights")),
                RightsVerdict::Unknown(_) => {
                    (FlashLevel::Info, t.get("connect-done_rights_unknown"))
                }
            };
            PortalSession::of(&req).flash(level, message);
            let mut response = see_other(&format!("/companies/{}", company.id));
            no_referrer(&mut response);
            Ok(response)
        }
        Err(error) => failure_redirect(&req, Failure::from(error), Some(&company)),
    }
}

impl From<ConnectError> for Failure {
    fn from(error: ConnectError) -> Failure {
        match error {
            ConnectError::Anaf(error) => Failure::Anaf(error),
            ConnectError::Store(StorePairError::Duplicate) => Failure::AlreadyStored,
            ConnectError::Store(StorePairError::Storage(e)) => {
                tracing::error!(error = %e, "storing a token failed");
                Failure::TokenUnusable("storage failed".to_owned())
            }
            ConnectError::Store(other) => Failure::TokenUnusable(other.to_string()),
        }
    }
}

/// Finds and consumes the transaction named by `state`, checking it belongs to this session and
/// user. No request reaches ANAF unless this succeeds.
async fn claim_transaction(
    req: &HttpRequest,
    state: &AppState,
    user_id: i64,
    oauth_state: Option<&str>,
) -> Result<Result<Transaction, Failure>, AppError> {
    let Some(oauth_state) = oauth_state.filter(|s| !s.is_empty() && s.len() <= 512) else {
        return Ok(Err(Failure::StateMissing));
    };
    let state_hash = sha256_hex(oauth_state);
    let binding = session_binding(req);
    let claimed = state
        .db
        .run(move |conn| {
            let at = now();
            let Some(tx) = oauth_transactions::find(conn, &state_hash)? else {
                return Ok(Err(Failure::StateUnknown));
            };
            if tx.consumed_at.is_some() {
                return Ok(Err(Failure::StateReused));
            }
            if tx.user_id != user_id || tx.session_binding != binding {
                return Ok(Err(Failure::StateForeign));
            }
            if tx.expires_at <= at {
                return Ok(Err(Failure::StateExpired));
            }
            if !oauth_transactions::consume(conn, &state_hash, at)? {
                return Ok(Err(Failure::StateReused));
            }
            Ok(Ok(tx))
        })
        .await?;
    Ok(claimed)
}

/// The code ANAF sent back, or why there is none.
pub(crate) fn parse_answer<'q>(query: &'q CallbackQuery, issuer: &str) -> Result<&'q str, Failure> {
    if query.iss.as_deref().is_some_and(|iss| iss != issuer) {
        return Err(Failure::WrongIssuer);
    }
    let description = query
        .error_description
        .as_deref()
        .map(|d| d.trim().chars().take(300).collect::<String>())
        .filter(|d| !d.is_empty());
    match query.error.as_deref() {
        Some("access_denied") => return Err(Failure::AccessDenied(description)),
        Some(other) => {
            return Err(Failure::AnafError(other.chars().take(64).collect()));
        }
        None => {}
    }
    query
        .code
        .as_deref()
        .filter(|c| !c.is_empty())
        .ok_or(Failure::CodeMissing)
}

pub(crate) fn failure_code(failure: &Failure) -> String {
    match failure {
        Failure::SessionEnded => "session ended".into(),
        Failure::StateMissing => "state missing".into(),
        Failure::StateUnknown => "state unknown".into(),
        Failure::StateExpired => "state expired".into(),
        Failure::StateReused => "state reused".into(),
        Failure::StateForeign => "state from another session".into(),
        Failure::AccessDenied(None) => "access_denied (no certificate or cancelled)".into(),
        Failure::AccessDenied(Some(description)) => format!("access_denied: {description}"),
        Failure::AnafError(code) => format!("ANAF error: {code}"),
        Failure::WrongIssuer => "the answer names another authorization server (iss)".into(),
        Failure::CodeMissing => "no code".into(),
        Failure::Anaf(e) => e.to_string(),
        Failure::TokenUnusable(why) => format!("token unusable: {why}"),
        Failure::AlreadyStored => "token already stored".into(),
    }
}

pub(crate) fn explain(
    failure: &Failure,
    t: &Catalog,
) -> (StatusCode, &'static str, String, Vec<&'static str>) {
    let text = |id| t.get(id);
    match failure {
        Failure::SessionEnded => (
            StatusCode::UNAUTHORIZED,
            "connect-failed-title",
            text("connect-session_ended"),
            vec![],
        ),
        Failure::StateMissing | Failure::StateUnknown => (
            StatusCode::BAD_REQUEST,
            "connect-failed-title",
            text("connect-state_unknown"),
            vec![],
        ),
        Failure::StateExpired => (
            StatusCode::BAD_REQUEST,
            "connect-failed-title",
            text("connect-state_expired"),
            vec![],
        ),
        Failure::StateReused => (
            StatusCode::BAD_REQUEST,
            "connect-failed-title",
            text("connect-state_reused"),
            vec![],
        ),
        Failure::StateForeign => (
            StatusCode::BAD_REQUEST,
            "connect-failed-title",
            text("connect-state_foreign"),
            vec![],
        ),
        Failure::AccessDenied(Some(description)) => (
            StatusCode::OK,
            "connect-failed-title",
            t.format(
                "connect-denied-explained",
                &[("description", description.clone().into())],
            ),
            vec![],
        ),
        Failure::WrongIssuer => (
            StatusCode::BAD_REQUEST,
            "connect-failed-title",
            text("connect-wrong_issuer"),
            vec![],
        ),
        Failure::AccessDenied(None) => (
            StatusCode::OK,
            "connect-denied-title",
            text("connect-denied-message"),
            vec![
                "connect-denied-hint_token",
                "connect-denied-hint_restart",
                "connect-denied-hint_rights",
            ],
        ),
        Failure::AnafError(code) => (
            StatusCode::BAD_GATEWAY,
            "connect-failed-title",
            t.format("connect-anaf_error", &[("error_code", code.clone().into())]),
            vec![],
        ),
        Failure::CodeMissing => (
            StatusCode::BAD_REQUEST,
            "connect-failed-title",
            text("connect-code_missing"),
            vec![],
        ),
        Failure::Anaf(AnafError::InvalidGrant(_)) => (
            StatusCode::BAD_REQUEST,
            "connect-failed-title",
            text("connect-code_expired"),
            vec![],
        ),
        Failure::Anaf(AnafError::InvalidClient) => (
            StatusCode::BAD_GATEWAY,
            "connect-failed-title",
            text("connect-invalid_client"),
            vec![],
        ),
        Failure::Anaf(AnafError::InvalidRequest(_)) => (
            StatusCode::BAD_GATEWAY,
            "connect-failed-title",
            text("connect-invalid_request"),
            vec![],
        ),
        Failure::Anaf(error) => (
            if matches!(error, AnafError::Timeout) {
                StatusCode::GATEWAY_TIMEOUT
            } else {
                StatusCode::BAD_GATEWAY
            },
            "connect-failed-title",
            t.format(
                "connect-anaf_unavailable",
                &[("error", error_text(error, t).into())],
            ),
            vec![],
        ),
        Failure::TokenUnusable(why) => (
            StatusCode::BAD_GATEWAY,
            "connect-failed-title",
            t.format("connect-token_unusable", &[("reason", why.clone().into())]),
            vec![],
        ),
        Failure::AlreadyStored => (
            StatusCode::CONFLICT,
            "connect-failed-title",
            text("connect-already_stored"),
            vec![],
        ),
    }
}

/// ANAF's failure in the reader's words.
pub fn error_text(error: &AnafError, t: &Catalog) -> String {
    match error {
        AnafError::Unreachable => t.get("anaf-unreachable"),
        AnafError::Timeout => t.get("anaf-timeout"),
        AnafError::Server(status) => t.count("anaf-server", "status", i64::from(*status)),
        AnafError::RateLimited(_) => t.get("anaf-rate_limited"),
        AnafError::Malformed => t.get("anaf-malformed"),
        AnafError::Dropped => t.get("anaf-dropped"),
        AnafError::InvalidClient => t.get("anaf-invalid_client"),
        AnafError::UnusableToken(_) => t.get("anaf-unusable_token"),
        // ANAF's own words, quoted as they came; a sentence of our own when it sent none.
        AnafError::InvalidGrant(said) if said.trim().is_empty() => {
            t.get("anaf-invalid_grant_silent")
        }
        AnafError::InvalidGrant(said) => {
            t.format("anaf-invalid_grant", &[("text", said.clone().into())])
        }
        AnafError::InvalidRequest(said) if said.trim().is_empty() => {
            t.get("anaf-invalid_request_silent")
        }
        AnafError::InvalidRequest(said) => {
            t.format("anaf-invalid_request", &[("text", said.clone().into())])
        }
    }
}

/// A callback that did not complete, kept in the session so that its page can be shown (and
/// reloaded) at an address without the callback's code and state.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredFailure {
    id: String,
    failure: Failure,
    company: Option<(i64, String)>,
}

const STORED_FAILURE_KEY: &str = "connect_failure";

/// Ends a callback that did not complete: a 303 to its explanation, away from the URL that
/// carries the code.
fn failure_redirect(
    req: &HttpRequest,
    failure: Failure,
    company: Option<&Company>,
) -> Result<HttpResponse, AppError> {
    tracing::info!(reason = %failure_code(&failure), "Connect ANAF did not complete");
    let stored = StoredFailure {
        id: random_token(12),
        failure,
        company: company.map(|c| (c.id, c.display_name().to_owned())),
    };
    PortalSession::of(req).insert(STORED_FAILURE_KEY, &stored)?;
    let mut response = see_other(&format!("/anaf/connect-failed/{}", stored.id));
    no_referrer(&mut response);
    Ok(response)
}

/// The explanation of the session's last callback that did not complete.
pub async fn failed(
    req: HttpRequest,
    page: Page,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let stored: StoredFailure = PortalSession::of(&req)
        .get(STORED_FAILURE_KEY)
        .filter(|s: &StoredFailure| s.id == *path)
        .ok_or(AppError::NotFound)?;
    let failure = &stored.failure;
    let (status, title_key, message, hint_keys) = explain(failure, &page.t);
    let retry_company_id = stored.company.as_ref().map(|(id, _)| *id).filter(|_| {
        !matches!(
            failure,
            Failure::Anaf(AnafError::InvalidClient) | Failure::AlreadyStored
        )
    });
    html(
        status,
        &ConnectFailedPage {
            title: page.t.get(title_key),
            hints: hint_keys.into_iter().map(|id| page.t.get(id)).collect(),
            message,
            retry_company_id,
            company_name: stored.company.map(|(_, name)| name),
            page,
        },
    )
}

/// The callback URL carries the code: never let it leak through a Referer header.
fn no_referrer(response: &mut HttpResponse) {
    response.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}
