//! The token table ("all my tokens") and the actions on one token: refresh, delete, reveal.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::anaf::client::RevokeOutcome;
use crate::app::AppState;
use crate::auth::session::FlashLevel;
use crate::auth::{CurrentUser, PortalSession};
use crate::db::models::now;
use crate::error::AppError;
use crate::i18n::{Catalog, Lang};
use crate::tokens::{RefreshOutcome, RefreshRequest};
use crate::web::access::{self, Need};
use crate::web::connect::error_text;
use crate::web::dashboard::{ListQuery, MemberList, MemberPage};
use crate::web::page::{Page, html, see_other};
use crate::web::templates::{DeleteTokenPage, RevealTokenPage, TokensPage};
use crate::web::views::{Pagination, TokenRowView};

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
            pagination: Pagination::new(query.page(), list.total, query.base_query()),
            search: query.q.clone(),
            page,
        },
    )
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
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (token, company, _) =
        access::token(&state, &user.0, path.into_inner(), Need::Admin).await?;
    let outcome = state
        .tokens
        .refresh(
            &state.actor(&req, Some(user.0.id)),
            token.id,
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
    let revoked = state
        .tokens
        .delete(&state.actor(&req, Some(user.0.id)), token.id)
        .await?;
    let t = Lang::from_request(&req).catalog();
    let (level, message) = match revoked {
        RevokeOutcome::Confirmed => (FlashLevel::Success, t.get("token-deleted_revoked")),
        RevokeOutcome::NotConfirmed => (FlashLevel::Info, t.get("token-deleted_not_revoked")),
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
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (token, company, _) =
        access::token(&state, &user.0, path.into_inner(), Need::Admin).await?;
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
            expires: t.local_date_time(token.access_expires_at),
        },
    )
}
