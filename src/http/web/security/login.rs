//! The sign-in's second step: after a correct password, an account with two-factor types a code
//! of its authenticator or a recovery code. Until then the session holds no user; the step
//! waits five minutes, then the password is asked again.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::http::auth::PortalSession;
use crate::http::auth::session::FlashLevel;
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::http::web::page::{Page, html, see_other};
use crate::http::web::security::pages::SecondFactorPage;
use crate::http::web::security::passkeys;
use crate::http::web::security::{CodeForm, refusal};
use crate::services::two_factor::Checked;

const EXPIRED: &str = "/login?ended=factor";

pub async fn form(
    page: Page,
    session: PortalSession,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    if page.user.is_some() {
        return Ok(see_other("/"));
    }
    let Some(pending) = session.pending_factor() else {
        return Ok(see_other(EXPIRED));
    };
    show(
        page,
        &session,
        &state,
        pending.user_id,
        None,
        StatusCode::OK,
    )
    .await
}

/// The step's page: the code form when the account has an app or recovery codes, the passkey
/// button when it has passkeys (each view a new challenge).
async fn show(
    page: Page,
    session: &PortalSession,
    state: &AppState,
    user: crate::domain::UserId,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let code = state.two_factor.takes_codes(user).await?;
    let passkey_options = passkeys::factor_options(state, session, user).await?;
    html(
        status,
        &SecondFactorPage {
            page,
            error,
            code,
            passkey_options,
        },
    )
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let session = PortalSession::of(&req);
    if session.user_id().is_some() {
        return Ok(see_other("/"));
    }
    let Some(pending) = session.pending_factor() else {
        return Ok(see_other(EXPIRED));
    };
    let actor = state.actor(&req, Some(pending.user_id));
    let checked = state
        .two_factor
        .check(&actor, pending.user_id, &form.code, &state.client_ip(&req))
        .await?;
    match checked {
        Checked::Accepted { recovery_left } => {
            session.log_in(pending.user_id)?;
            tracing::info!(
                user_id = %pending.user_id,
                "login succeeded with a second factor"
            );
            let t = crate::i18n::Lang::from_request(&req).catalog();
            session.flash(FlashLevel::Success, t.get("login-welcome"));
            if let Some(left) = recovery_left {
                session.flash(
                    if left <= 2 {
                        FlashLevel::Error
                    } else {
                        FlashLevel::Info
                    },
                    t.count("security-recovery_left", "count", left),
                );
            }
            Ok(see_other(&pending.next))
        }
        // Two-factor was switched off meanwhile: the sign-in starts again.
        Checked::NotEnrolled => {
            session.log_out();
            Ok(see_other(EXPIRED))
        }
        refused => {
            let page = Page::build(&req).await?;
            let error = Some(refusal(&page.t, &refused)?);
            show(
                page,
                &session,
                &state,
                pending.user_id,
                error,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}
