//! Why a Connect ANAF did not complete, in both flavours: the reasons, their explanation in the
//! reader's words, and the account flavour's failure page (`/anaf/connect-failed/{id}`; the link
//! flavour shows the same explanation on its outcome page).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::{Deserialize, Serialize};

use crate::anaf::client::AnafError;
use crate::domain::CompanyId;
use crate::http::auth::PortalSession;
use crate::http::error::AppError;
use crate::http::web::page::{Page, html, no_referrer, see_other};
use crate::http::web::views::error_text;
use crate::i18n::Catalog;
use crate::secrets::random_token;
use crate::services::companies::Company;
use crate::services::tokens::{ConnectError, StorePairError};

/// Why a callback was not accepted; each has its own explanation page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Failure {
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

pub fn failure_code(failure: &Failure) -> String {
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

pub fn explain(
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

#[derive(Template)]
#[template(path = "connect/failed.html")]
pub struct ConnectFailedPage {
    pub page: Page,
    pub title: String,
    pub message: String,
    pub hints: Vec<String>,
    pub retry_company_id: Option<CompanyId>,
    pub company_name: Option<String>,
}

/// A callback that did not complete, kept in the session so that its page can be shown (and
/// reloaded) at an address without the callback's code and state.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredFailure {
    id: String,
    failure: Failure,
    company: Option<(CompanyId, String)>,
}

const STORED_FAILURE_KEY: &str = "connect_failure";

/// Ends a callback that did not complete: a 303 to its explanation, away from the URL that
/// carries the code.
pub(super) fn failure_redirect(
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
    Ok(no_referrer(see_other(&format!(
        "/anaf/connect-failed/{}",
        stored.id
    ))))
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
