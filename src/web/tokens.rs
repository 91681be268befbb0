//! The token table ("all my tokens") and the actions on one token: refresh, delete, reveal.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::anaf::client::RevokeOutcome;
use crate::auth::session::FlashLevel;
use crate::auth::{CurrentUser, PortalSession};
use crate::db::models::audit::Outcome;
use crate::db::models::now;
use crate::domain::Cif;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::tokens::RefreshOutcome;
use crate::web::access::{self, Need};
use crate::web::dashboard::{CompanyTable, ListQuery};
use crate::web::page::{Page, html, see_other};
use crate::web::state::AppState;
use crate::web::templates::{DeleteTokenPage, RevealTokenPage, TokensPage};
use crate::web::views::TokenRowView;

pub async fn list(
    user: CurrentUser,
    page: Page,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let listing = state.listings.of(&state.db, &user.0).await?;
    let table = CompanyTable::new(&listing, &query, true, &page.t);
    html(
        StatusCode::OK,
        &TokensPage {
            page,
            rows: table.rows,
            pagination: table.pagination,
            search: query.q.clone(),
        },
    )
}

pub async fn refresh(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (token, company, _) =
        access::token(&state, &user.0, path.into_inner(), Need::Admin).await?;
    let cif = Cif::parse(&company.cif).map_err(|_| {
        AppError::Internal(anyhow::anyhow!("stored CIF {} is invalid", company.cif))
    })?;
    let outcome = state.tokens.refresh(token.id, &cif).await?;
    let t = Lang::from_request(&req).catalog();
    let (level, message, action, audit_outcome, detail) = match &outcome {
        RefreshOutcome::Refreshed(_) => (
            FlashLevel::Success,
            t.get("token.refreshed").to_owned(),
            "token.refreshed",
            Outcome::Success,
            None,
        ),
        RefreshOutcome::ReconnectNeeded(why) => (
            FlashLevel::Error,
            t.get("token.refresh_reconnect").to_owned(),
            "token.refresh_failed",
            Outcome::Failure,
            Some(why.clone()),
        ),
        RefreshOutcome::Failed(why) => (
            FlashLevel::Error,
            t.format("token.refresh_failed", &[why]),
            "token.refresh_failed",
            Outcome::Failure,
            Some(why.clone()),
        ),
        RefreshOutcome::NoRefreshToken => (
            FlashLevel::Error,
            t.get("token.no_refresh_token_long").to_owned(),
            "token.refresh_failed",
            Outcome::Failure,
            Some("no refresh token".to_owned()),
        ),
    };
    access::audit(
        &state,
        access::actor(&req, &state, Some(user.0.id)),
        action,
        Some(company.id),
        Some(token.id),
        audit_outcome,
        detail,
    )
    .await;
    PortalSession::of(&req).flash(level, message);
    Ok(see_other(&back_to(&req, company.id)))
}

/// Where to return after an action: the token table when it was used from there.
fn back_to(req: &HttpRequest, company_id: i64) -> String {
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

pub async fn confirm_delete(
    user: CurrentUser,
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (token, company, role) =
        access::token(&state, &user.0, path.into_inner(), Need::Admin).await?;
    let row = TokenRowView::new(&company, role, Some(&token), now(), &page.t);
    html(StatusCode::OK, &DeleteTokenPage { page, row })
}

pub async fn delete(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (token, company, _) =
        access::token(&state, &user.0, path.into_inner(), Need::Admin).await?;
    let revoked = state.tokens.delete(token.id).await?;
    let t = Lang::from_request(&req).catalog();
    let message = match revoked {
        RevokeOutcome::Confirmed => t.get("token.deleted_revoked"),
        RevokeOutcome::NotConfirmed => t.get("token.deleted_not_revoked"),
    };
    access::audit(
        &state,
        access::actor(&req, &state, Some(user.0.id)),
        "token.deleted",
        Some(company.id),
        Some(token.id),
        Outcome::Success,
        Some(match revoked {
            RevokeOutcome::Confirmed => "revoked at ANAF".to_owned(),
            RevokeOutcome::NotConfirmed => "ANAF did not confirm revocation".to_owned(),
        }),
    )
    .await;
    PortalSession::of(&req).flash(FlashLevel::Success, message);
    Ok(see_other(&format!("/companies/{}", company.id)))
}

/// Shows the access token once, to a company admin who asked; audited.
pub async fn reveal(
    req: HttpRequest,
    user: CurrentUser,
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (token, company, _) =
        access::token(&state, &user.0, path.into_inner(), Need::Admin).await?;
    let access_token = state.tokens.reveal_access_token(token.id).await?;
    access::audit(
        &state,
        access::actor(&req, &state, Some(user.0.id)),
        "token.revealed",
        Some(company.id),
        Some(token.id),
        Outcome::Success,
        None,
    )
    .await;
    html(
        StatusCode::OK,
        &RevealTokenPage {
            page,
            company_id: company.id,
            company_name: company.display_name().to_owned(),
            access_token,
            expires: crate::web::views::date_time(token.access_expires_at),
        },
    )
}
