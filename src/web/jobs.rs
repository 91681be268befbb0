//! "Refresh all that expire within 14 days": one background job per request, one ANAF call per
//! token, paced under ANAF's 1000 calls a minute, its progress on a page that reloads itself.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::auth::PortalSession;
use crate::auth::session::FlashLevel;
use crate::db::models::refresh_jobs;
use crate::domain::{AuditAction, AuditEvent};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::tokens::{RefreshOutcome, RefreshRequest};
use crate::web::page::{Page, html, see_other};
use crate::web::templates::JobPage;

/// 70 ms between calls: at most ~860 a minute, below ANAF's 1000 even with other traffic.
const PACE: Duration = Duration::from_millis(70);

pub async fn start_refresh_expiring(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let user_id = user.0.id;
    let targets = state.tokens.refreshable_due(user_id).await?;
    let total = i32::try_from(targets.len()).unwrap_or(i32::MAX);
    let job_id = state
        .db
        .run(move |conn| Ok(refresh_jobs::create(conn, user_id, total)?))
        .await?;
    let actor = state.actor(&req, Some(user_id));
    state
        .audit
        .record(
            &actor,
            AuditEvent::success(AuditAction::RefreshJobStarted)
                .detail(format!("{} tokens", targets.len())),
        )
        .await;
    if targets.is_empty() {
        let t = Lang::from_request(&req).catalog();
        PortalSession::of(&req).flash(FlashLevel::Info, t.get("jobs-nothing_to_do"));
    }
    let state = state.into_inner();
    tokio::spawn(async move {
        for (token_id, _, _) in targets {
            let request = RefreshRequest {
                wait: state.tokens.anaf().endpoints().refresh_timeout * 2,
                force: false,
            };
            let outcome = state.tokens.refresh(&actor, token_id, request).await;
            let succeeded = matches!(outcome, Ok(RefreshOutcome::Refreshed(_)));
            if let Err(e) = &outcome {
                tracing::error!(error = %e, token_id, "refresh in a job failed");
            }
            if let Err(e) = state
                .db
                .run(move |conn| Ok(refresh_jobs::count_one(conn, job_id, succeeded)?))
                .await
            {
                tracing::error!(error = %e, job_id, "job progress not recorded");
            }
            tokio::time::sleep(PACE).await;
        }
        if let Err(e) = state
            .db
            .run(move |conn| Ok(refresh_jobs::finish(conn, job_id)?))
            .await
        {
            tracing::error!(error = %e, job_id, "job end not recorded");
        }
    });
    Ok(see_other(&format!("/jobs/{job_id}")))
}

pub async fn show(
    user: CurrentUser,
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (job_id, user_id) = (path.into_inner(), user.0.id);
    let job = state
        .db
        .run(move |conn| Ok(refresh_jobs::find_for_user(conn, job_id, user_id)?))
        .await?
        .ok_or(AppError::NotFound)?;
    html(StatusCode::OK, &JobPage { page, job })
}
