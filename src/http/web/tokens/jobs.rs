//! "Refresh all that are due": a job in the database, one item per token, that the refresh engine
//! of any instance works through (one ANAF call per token; a token refreshed meanwhile by anyone
//! needs none). It survives restarts; its progress is on a page that reloads itself.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::pages::JobPage;
use crate::domain::RefreshJobId;
use crate::http::auth::CurrentUser;
use crate::http::auth::PortalSession;
use crate::http::auth::session::FlashLevel;
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::http::web::page::{Page, html, see_other};
use crate::i18n::Lang;

pub async fn start_refresh_expiring(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let actor = state.actor(&req, Some(user.0.id));
    let (job_id, count) = state.tokens.start_refresh_job(&actor, user.0.id).await?;
    if count == 0 {
        let t = Lang::from_request(&req).catalog();
        PortalSession::of(&req).flash(FlashLevel::Info, t.get("jobs-nothing_to_do"));
    } else {
        // This instance's engine starts on it now rather than at its next tick.
        state.engine_wake.notify_one();
    }
    Ok(see_other(&format!("/jobs/{job_id}")))
}

pub async fn show(
    user: CurrentUser,
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (job, failures) = state
        .tokens
        .refresh_job_for_user(RefreshJobId(path.into_inner()), user.0.id)
        .await?
        .ok_or(AppError::NotFound)?;
    html(
        StatusCode::OK,
        &JobPage {
            page,
            job,
            failures,
        },
    )
}
