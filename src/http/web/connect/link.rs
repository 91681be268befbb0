//! Connect ANAF from an authorization link, the link flavour: the holder starts it from the
//! link's page (no account needed), ANAF comes back to the one callback, and the outcome is
//! shown at `/l/done/{id}`. Its pages send no Referer to another site.

use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::{Deserialize, Serialize};

use super::failure::{Failure, explain, failure_code};
use super::{CallbackQuery, parse_answer};
use crate::anaf::client::RightsVerdict;
use crate::http::auth::PortalSession;
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::http::web::links::holder::{gone_of, gone_page, gone_text};
use crate::http::web::links::pages::CompanyOutcomeView;
use crate::http::web::page::{Page, html, same_origin_referrer, see_other};
use crate::http::web::views::anaf_said;
use crate::i18n::Catalog;
use crate::secrets::{random_token, sha256_hex};
use crate::services::links::ClaimRefusal;

/// The cookie that ties a Connect ANAF started from a link to the holder's browser.
pub const LINK_COOKIE: &str = "anaf_portal_link";
/// The session key of the last link callback's outcome, shown at `/l/done/{id}`.
const OUTCOME_KEY: &str = "link_outcome";

/// `POST /l/{secret}/connect`: starts Connect ANAF for the link, tied to this browser by a
/// random cookie (its hash is stored with the transaction).
pub async fn start(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let secret = path.into_inner();
    let cookie = req
        .cookie(LINK_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| (32..=128).contains(&v.len()))
        .unwrap_or_else(|| random_token(32));
    let started = state
        .links
        .start(&secret, sha256_hex(&cookie), state.config.anaf.pkce)
        .await?
        .ok_or(AppError::NotFound)?;
    let url = match started {
        Ok(url) => url,
        Err(view) => {
            let (gone, creator) = gone_of(view).ok_or(AppError::NotFound)?;
            let page = Page::build(&req).await?;
            return gone_page(page, gone, &creator);
        }
    };
    let mut response = see_other(url.as_str());
    response
        .add_cookie(
            &Cookie::build(LINK_COOKIE, cookie)
                .path("/")
                .max_age(Duration::days(1))
                .same_site(SameSite::Lax)
                .http_only(true)
                .secure(state.secure_cookies())
                .finish(),
        )
        .map_err(|e| AppError::Internal(anyhow::anyhow!("link cookie: {e}")))?;
    Ok(same_origin_referrer(response))
}

/// What a link's callback ended with, kept in the holder's session for `/l/done/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
enum LinkResult {
    /// ANAF answered: each company's verdict; `stored` when a token was kept (link consumed).
    Connected {
        stored: bool,
        companies: Vec<StoredCompany>,
    },
    Refused(ClaimRefusal),
    Failed(Failure),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredCompany {
    name: Option<String>,
    cif: String,
    /// `covered`, `no_rights` or `unknown`.
    outcome: String,
    said: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredOutcome {
    id: String,
    result: LinkResult,
}

/// ANAF's redirect for a Connect ANAF started from a link (`super::callback` hands it over
/// before any session check: the holder has no account).
pub async fn callback(
    req: &HttpRequest,
    state: &AppState,
    query: &CallbackQuery,
    oauth_state: &str,
) -> Result<HttpResponse, AppError> {
    let binding = req.cookie(LINK_COOKIE).map(|c| sha256_hex(c.value()));
    let claimed = match state.links.claim(oauth_state, binding).await? {
        Ok(claimed) => claimed,
        Err(refusal) => return outcome_redirect(req, LinkResult::Refused(refusal)),
    };
    let actor = state.actor(req, None);
    let code = match parse_answer(query, &state.tokens.anaf().endpoints().issuer) {
        Ok(code) => code,
        Err(failure) => {
            state
                .links
                .refused(&actor, &claimed, &failure_code(&failure))
                .await?;
            return outcome_redirect(req, LinkResult::Failed(failure));
        }
    };
    let result = match state.links.complete(&actor, &claimed, code).await? {
        Ok(connection) => LinkResult::Connected {
            stored: connection.token.is_some(),
            companies: connection
                .companies
                .iter()
                .map(|c| {
                    let (outcome, said) = match &c.verdict {
                        RightsVerdict::Granted => ("covered", None),
                        RightsVerdict::Denied(said) => ("no_rights", Some(said.clone())),
                        RightsVerdict::Unknown(said) => ("unknown", Some(said.clone())),
                    };
                    StoredCompany {
                        name: c.company.name.clone().filter(|n| !n.is_empty()),
                        cif: c.company.cif.to_string(),
                        outcome: outcome.to_owned(),
                        said,
                    }
                })
                .collect(),
        },
        Err(error) => LinkResult::Failed(Failure::from(error)),
    };
    outcome_redirect(req, result)
}

/// Ends a link's callback: a 303 away from the URL that carries the code, to its outcome.
fn outcome_redirect(req: &HttpRequest, result: LinkResult) -> Result<HttpResponse, AppError> {
    let stored = StoredOutcome {
        id: random_token(12),
        result,
    };
    PortalSession::of(req).insert(OUTCOME_KEY, &stored)?;
    Ok(same_origin_referrer(see_other(&format!(
        "/l/done/{}",
        stored.id
    ))))
}

#[derive(Template)]
#[template(path = "links/outcome.html")]
pub struct OutcomePage {
    pub page: Page,
    pub title: String,
    pub message: String,
    pub hints: Vec<String>,
    pub companies: Vec<CompanyOutcomeView>,
}

/// `/l/done/{id}`: what the holder's connection did, for the browser it came back to.
pub async fn outcome(
    req: HttpRequest,
    page: Page,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let stored: StoredOutcome = PortalSession::of(&req)
        .get(OUTCOME_KEY)
        .filter(|s: &StoredOutcome| s.id == *path)
        .ok_or(AppError::NotFound)?;
    let t = &page.t;
    let (status, title, message, hints, companies) = match stored.result {
        LinkResult::Connected { stored, companies } => {
            let covered = companies.iter().filter(|c| c.outcome == "covered").count();
            let views: Vec<CompanyOutcomeView> =
                companies.into_iter().map(|c| stored_view(c, t)).collect();
            let (title, message) = match stored {
                true => (
                    t.get("links-done_title"),
                    t.format(
                        "links-done_message",
                        &[
                            ("covered", (covered as i64).into()),
                            ("count", (views.len() as i64).into()),
                        ],
                    ),
                ),
                false => (
                    t.get("links-done_none_title"),
                    t.get("links-done_none_message"),
                ),
            };
            (StatusCode::OK, title, message, Vec::new(), views)
        }
        LinkResult::Refused(refusal) => {
            let (status, title, message) = refusal_text(&refusal, t);
            (status, title, message, Vec::new(), Vec::new())
        }
        LinkResult::Failed(failure) => {
            let (status, title_key, message, hint_keys) = explain(&failure, t);
            let mut hints: Vec<String> = hint_keys.into_iter().map(|id| t.get(id)).collect();
            hints.push(t.get("links-failed_retry"));
            (status, t.get(title_key), message, hints, Vec::new())
        }
    };
    Ok(same_origin_referrer(html(
        status,
        &OutcomePage {
            title,
            message,
            hints,
            companies,
            page,
        },
    )?))
}

fn stored_view(c: StoredCompany, t: &Catalog) -> CompanyOutcomeView {
    let (outcome, label, explanation) = match c.outcome.as_str() {
        "covered" => ("covered", t.get("links-outcome_covered"), None),
        "no_rights" => (
            "no_rights",
            t.get("links-outcome_no_rights"),
            Some(t.format(
                "links-no_rights_explained",
                &[("cif", c.cif.clone().into())],
            )),
        ),
        _ => (
            "unknown",
            t.get("links-outcome_unknown"),
            Some(t.format(
                "links-unknown_explained",
                &[("said", anaf_said(c.said.unwrap_or_default(), t).into())],
            )),
        ),
    };
    CompanyOutcomeView {
        id: None,
        name: c.name,
        cif: c.cif,
        outcome,
        outcome_label: label,
        explanation,
    }
}

fn refusal_text(refusal: &ClaimRefusal, t: &Catalog) -> (StatusCode, String, String) {
    let failed = || t.get("links-failed_title");
    match refusal {
        ClaimRefusal::StateUnknown => (
            StatusCode::BAD_REQUEST,
            failed(),
            t.get("links-callback_unknown"),
        ),
        ClaimRefusal::StateExpired => (
            StatusCode::BAD_REQUEST,
            failed(),
            t.get("links-callback_expired"),
        ),
        ClaimRefusal::StateReused => (
            StatusCode::BAD_REQUEST,
            failed(),
            t.get("links-callback_reused"),
        ),
        ClaimRefusal::StateForeign => (
            StatusCode::BAD_REQUEST,
            failed(),
            t.get("links-callback_foreign"),
        ),
        ClaimRefusal::LinkBusy => (StatusCode::CONFLICT, failed(), t.get("links-busy")),
        ClaimRefusal::LinkGone {
            state,
            creator_email,
        } => {
            let (title, message) = gone_text(*state, creator_email, t);
            (StatusCode::GONE, title, message)
        }
    }
}
