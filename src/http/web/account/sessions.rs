//! The sessions page: one's own sessions, ending one or all the others.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::http::auth::session::FlashLevel;
use crate::http::auth::{CurrentUser, PortalSession};
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::http::web::account::pages::{SessionView, SessionsPage, browser_label};
use crate::http::web::page::{Page, html, see_other};

pub async fn list(
    user: CurrentUser,
    page: Page,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let current = PortalSession::of(&req).public_id();
    let rows = state.accounts.sessions_of(user.0.id).await?;
    let sessions: Vec<SessionView> = rows
        .into_iter()
        .map(|s| SessionView {
            current: current.as_deref() == Some(s.public_id.as_str()),
            browser: browser_label(s.user_agent.as_deref(), &page.t),
            ip: s.ip.unwrap_or_else(|| "—".to_owned()),
            started: page.t.local_date_time(s.created_at),
            last_seen: page
                .t
                .local_date_time(s.last_seen_at.unwrap_or(s.created_at)),
            public_id: s.public_id,
        })
        .collect();
    let others = sessions.iter().filter(|s| !s.current).count();
    html(
        StatusCode::OK,
        &SessionsPage {
            page,
            sessions,
            others,
        },
    )
}

pub async fn end(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let session = PortalSession::of(&req);
    let wanted = path.into_inner();
    if session.public_id().as_deref() == Some(wanted.as_str()) {
        // Ending the session in use is logging out.
        session.log_out();
        return Ok(see_other("/login?ended=logout"));
    }
    let actor = state.actor(&req, Some(user.0.id));
    if !state.accounts.end_session(&actor, &user.0, &wanted).await? {
        return Err(AppError::NotFound);
    }
    let t = crate::i18n::Lang::from_request(&req).catalog();
    session.flash(FlashLevel::Success, t.get("sessions-ended_one"));
    Ok(see_other("/settings/sessions"))
}

pub async fn end_others(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let session = PortalSession::of(&req);
    let Some(keep) = session.public_id() else {
        // A session not stored yet cannot be told from the others: nothing is ended.
        return Err(AppError::BadRequest(
            "this session is not stored yet".to_owned(),
        ));
    };
    let actor = state.actor(&req, Some(user.0.id));
    let ended = state
        .accounts
        .end_other_sessions(&actor, &user.0, &keep)
        .await?;
    let t = crate::i18n::Lang::from_request(&req).catalog();
    session.flash(
        FlashLevel::Success,
        t.count("sessions-ended_others", "count", ended as i64),
    );
    Ok(see_other("/settings/sessions"))
}
