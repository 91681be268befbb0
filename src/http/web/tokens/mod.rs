//! The token table ("all my tokens") and the actions on one token: refresh, delete, reveal.

pub mod jobs;
pub mod pages;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use std::time::Duration;

use chrono::NaiveDateTime;
use serde::Deserialize;

use crate::anaf::client::RevokeOutcome;
use crate::domain::{CompanyId, TokenId};
use crate::http::auth::session::FlashLevel;
use crate::http::auth::{CurrentUser, PortalSession};
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::http::web::access::{self, Need};
use crate::http::web::company_list::{ListQuery, MemberList, MemberPage};
use crate::http::web::page::{Page, html, see_other};
use crate::http::web::views::TokenRowView;
use crate::http::web::views::error_text;
use crate::i18n::{Catalog, Lang};
use crate::services::companies::CompanyRow;
use crate::services::now;
use crate::services::tokens::{Detachment, RefreshOutcome, RefreshRequest, Revocation};
use pages::{DeleteTokenPage, RevealTokenPage, TokensPage};

pub async fn list(
    user: CurrentUser,
    page: Page,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let list = MemberPage::load(&state, user.0.id, &query, MemberList::TokenTable).await?;
    html(
        StatusCode::OK,
        &TokensPage {
            rows: list.rows(&page.t),
            pagination: query.pagination(list.total),
            search: query.q.clone(),
            export_query: query.base_query(),
            controls: query.controls("/tokens", &page.t),
            page,
        },
    )
}

/// Rows a CSV export holds at most (a person's list; far above any accountant's).
const EXPORT_LIMIT: i64 = 20_000;

/// The token table as CSV, with the page's search and status filter applied: every matching
/// row, not one page. Dates in Romanian time, labels in the reader's language.
pub async fn export_csv(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let t = Lang::from_request(&req).catalog();
    let mut filter = query.to_company_query(true);
    filter.offset = 0;
    filter.limit = EXPORT_LIMIT;
    let (rows, _) = state.companies.page_for_member(user.0.id, filter).await?;
    let at = now();
    let body =
        token_csv(&rows, &t, at).map_err(|e| AppError::Internal(anyhow::anyhow!("csv: {e}")))?;
    // A byte-order mark, so that spreadsheet programs read the diacritics as UTF-8.
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    bytes.extend(body);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"anaf-tokens-{}.csv\"",
                at.format("%Y-%m-%d")
            ),
        ))
        .body(bytes))
}

fn token_csv(rows: &[CompanyRow], t: &Catalog, at: NaiveDateTime) -> Result<Vec<u8>, csv::Error> {
    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record(
        [
            "company-cif",
            "company-name",
            "token-status",
            "token-access_expires",
            "token-refresh_expires",
            "token-refresh_state",
            "token-rights",
            "token-last_refreshed",
            "token-certificate",
        ]
        .map(|id| t.get(id)),
    )?;
    for row in rows {
        let view = TokenRowView::from_row(row, at, t);
        csv.write_record([
            view.cif,
            &spreadsheet_safe(view.company_name),
            &view.status_label,
            &view.access_expires,
            &view.refresh_expires,
            view.refresh_note.as_deref().unwrap_or(view.refresh_code),
            &view.rights,
            &view.last_refreshed,
            &view.certificate_serial,
        ])?;
    }
    csv.into_inner().map_err(|e| e.into_error().into())
}

/// A cell a spreadsheet would take for a formula (`=`, `+`, `-`, `@`, tab, CR) gets a leading
/// apostrophe: company names are typed by people (OWASP "CSV injection").
fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// What the person reads after a refresh they asked for.
fn refresh_message(outcome: &RefreshOutcome, t: &Catalog) -> (FlashLevel, String) {
    match outcome {
        RefreshOutcome::Refreshed(_) => (FlashLevel::Success, t.get("token-refreshed")),
        RefreshOutcome::ReconnectNeeded {
            interrupted_at: Some(at),
            ..
        } => (
            FlashLevel::Error,
            t.format(
                "token-refresh_interrupted",
                &[("at", t.local_date_time(*at).into())],
            ),
        ),
        RefreshOutcome::ReconnectNeeded { .. } => {
            (FlashLevel::Error, t.get("token-refresh_reconnect"))
        }
        RefreshOutcome::Unknown(error) => (
            FlashLevel::Error,
            t.format(
                "token-refresh_unknown",
                &[("reason", error_text(error, t).into())],
            ),
        ),
        RefreshOutcome::InProgress => (FlashLevel::Info, t.get("token-refresh_in_progress")),
        RefreshOutcome::Spooled => (FlashLevel::Success, t.get("token-refresh_spooled")),
        RefreshOutcome::Failed(error) => (
            FlashLevel::Error,
            t.format(
                "token-refresh_failed",
                &[("reason", error_text(error, t).into())],
            ),
        ),
        RefreshOutcome::FailedElsewhere(why) => (
            FlashLevel::Error,
            t.format("token-refresh_failed", &[("reason", why.clone().into())]),
        ),
        RefreshOutcome::NoRefreshToken => (FlashLevel::Error, t.get("token-no_refresh_token_long")),
    }
}

pub async fn refresh(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<TokenId>,
) -> Result<HttpResponse, AppError> {
    let (token, company, _) =
        access::token(&state, &user.0, path.into_inner(), None, Need::Admin).await?;
    let outcome = state
        .tokens
        .refresh_loaded(
            &state.actor(&req, Some(user.0.id)),
            &token,
            // Pressed again within a minute of a success: that result, no second ANAF call.
            RefreshRequest {
                wait: state.tokens.anaf().endpoints().timeout,
                force: false,
            },
        )
        .await?;
    let (level, message) = refresh_message(&outcome, &Lang::from_request(&req).catalog());
    PortalSession::of(&req).flash(level, message);
    Ok(see_other(&back_to(&req, company.id)))
}

/// Where to return after an action: the token table when it was used from there.
fn back_to(req: &HttpRequest, company_id: CompanyId) -> String {
    let from_table = req
        .headers()
        .get(actix_web::http::header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| url::Url::parse(r).ok())
        .is_some_and(|u| u.path() == "/tokens");
    if from_table {
        "/tokens".to_owned()
    } else {
        format!("/companies/{company_id}")
    }
}

/// `?company=ID`: the company a token action is about (a token may serve several).
#[derive(Deserialize)]
pub struct ForCompany {
    company: Option<CompanyId>,
}

pub async fn confirm_delete(
    user: CurrentUser,
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<TokenId>,
    query: web::Query<ForCompany>,
) -> Result<HttpResponse, AppError> {
    let (token, company, role) = access::token(
        &state,
        &user.0,
        path.into_inner(),
        query.company,
        Need::Admin,
    )
    .await?;
    let served = state.tokens.served_companies(token.id).await?;
    let row = TokenRowView::new(&company, role, Some(&token), now(), &page.t);
    html(
        StatusCode::OK,
        &DeleteTokenPage {
            page,
            row,
            other_companies: served.len().saturating_sub(1),
        },
    )
}

/// How long the delete page waits for ANAF's answers to the revocations before it says they were
/// not confirmed (they go on in the background). ANAF's own client timeout is 5 s a call; both
/// calls run at once.
const REVOCATION_WAIT: Duration = Duration::from_secs(6);

/// Stops the token serving the company; with its last company the token is deleted and revoked.
pub async fn delete(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<TokenId>,
    query: web::Query<ForCompany>,
) -> Result<HttpResponse, AppError> {
    let (token, company, _) = access::token(
        &state,
        &user.0,
        path.into_inner(),
        query.company,
        Need::Admin,
    )
    .await?;
    let detached = state
        .tokens
        .detach(
            &state.actor(&req, Some(user.0.id)),
            token.id,
            company.id,
            REVOCATION_WAIT,
        )
        .await?;
    let t = Lang::from_request(&req).catalog();
    let (level, message) = match detached {
        Detachment::Deleted(revocation) => {
            use RevokeOutcome::{Confirmed, NotConfirmed};
            // No answer within the wait reads as not confirmed (it may still come).
            let revocation = revocation.unwrap_or(Revocation {
                access: NotConfirmed,
                refresh: Some(NotConfirmed),
            });
            match (revocation.access, revocation.refresh) {
                (Confirmed, Some(Confirmed)) => {
                    (FlashLevel::Success, t.get("token-deleted_revoked"))
                }
                (Confirmed, None) => (FlashLevel::Success, t.get("token-deleted_revoked_access")),
                (Confirmed, Some(NotConfirmed)) => {
                    (FlashLevel::Info, t.get("token-deleted_refresh_not_revoked"))
                }
                (NotConfirmed, Some(Confirmed)) => {
                    (FlashLevel::Info, t.get("token-deleted_access_not_revoked"))
                }
                (NotConfirmed, _) => (FlashLevel::Info, t.get("token-deleted_not_revoked")),
            }
        }
        Detachment::StillServesOthers => (FlashLevel::Success, t.get("token-detached")),
    };
    PortalSession::of(&req).flash(level, message);
    Ok(see_other(&format!("/companies/{}", company.id)))
}

/// Shows the access token once, to a company admin who asked; audited.
pub async fn reveal(
    req: HttpRequest,
    user: CurrentUser,
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<TokenId>,
) -> Result<HttpResponse, AppError> {
    if !state.config.efactura.raw_tokens {
        return Err(AppError::NotPermitted(page.t.get("token-raw_tokens_off")));
    }
    let (token, company, _) =
        access::token(&state, &user.0, path.into_inner(), None, Need::Admin).await?;
    let access_token = state
        .tokens
        .reveal_access_token(&state.actor(&req, Some(user.0.id)), token.id)
        .await?;
    let t = page.t;
    html(
        StatusCode::OK,
        &RevealTokenPage {
            page,
            company_id: company.id,
            company_name: company.display_name().to_owned(),
            access_token,
            expires: t.local_date_time(token.facts.access_expires_at),
        },
    )
}
