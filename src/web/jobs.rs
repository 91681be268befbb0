//! "Refresh all that expire within 14 days": one background job per request, one ANAF call per
//! token, paced under ANAF's 1000 calls a minute, its progress on a page that reloads itself.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::TimeDelta;

use crate::auth::CurrentUser;
use crate::auth::PortalSession;
use crate::auth::session::FlashLevel;
use crate::db::models::audit::Outcome;
use crate::db::models::{companies, now, refresh_jobs};
use crate::domain::Cif;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::tokens::RefreshOutcome;
use crate::tokens::status::EXPIRING_SOON_DAYS;
use crate::web::access;
use crate::web::page::{Page, html, see_other};
use crate::web::state::AppState;
use crate::web::templates::JobPage;

/// 70 ms between calls: at most ~860 a minute, below ANAF's 1000 even with other traffic.
const PACE: Duration = Duration::from_millis(70);

pub async fn start_refresh_expiring(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let user_id = user.0.id;
    let before = now() + TimeDelta::days(EXPIRING_SOON_DAYS);
    let (job_id, targets) = state
        .db
        .run(move |conn| {
            let targets = companies::refreshable_expiring(conn, user_id, before)?;
            let total = i32::try_from(targets.len()).unwrap_or(i32::MAX);
            let job = refresh_jobs::create(conn, user_id, total)?;
            Ok((job, targets))
        })
        .await?;
    access::audit(
        &state,
        access::actor(&req, &state, Some(user_id)),
        "job.refresh_expiring",
        None,
        None,
        Outcome::Success,
        Some(format!("{} tokens", targets.len())),
    )
    .await;
    if targets.is_empty() {
        let t = Lang::from_request(&req).catalog();
        PortalSession::of(&req).flash(FlashLevel::Info, t.get("jobs.nothing_to_do"));
    }
    let state = state.into_inner();
    let actor = access::actor(&req, &state, Some(user_id));
    tokio::spawn(async move {
        for (token_id, company_id, cif) in targets {
            let outcome = match Cif::parse(&cif) {
                Ok(cif) => state.tokens.refresh(token_id, &cif).await,
                Err(_) => Err(AppError::Internal(anyhow::anyhow!(
                    "stored CIF {cif} invalid"
                ))),
            };
            let succeeded = matches!(outcome, Ok(RefreshOutcome::Refreshed(_)));
            let detail = match &outcome {
                Ok(RefreshOutcome::Refreshed(_)) => None,
                Ok(RefreshOutcome::ReconnectNeeded(why) | RefreshOutcome::Failed(why)) => {
                    Some(why.clone())
                }
                Ok(RefreshOutcome::NoRefreshToken) => Some("no refresh token".to_owned()),
                Err(e) => Some(e.to_string()),
            };
            access::audit(
                &state,
                actor.clone(),
                if succeeded {
                    "token.refreshed"
                } else {
                    "token.refresh_failed"
                },
                Some(company_id),
                Some(token_id),
                if succeeded {
                    Outcome::Success
                } else {
                    Outcome::Failure
                },
                detail,
            )
            .await;
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
