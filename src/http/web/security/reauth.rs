//! Re-authentication: the password (or, with two-factor, a code) again before what gives a
//! secret away, when the last proof is older than ten minutes. A form held back by the step-up
//! gate (`http::auth::guards`) is then shown again, filled in, for the person to press
//! Continue: a new, CSRF-checked POST.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::SecretString;
use serde::Deserialize;

use crate::http::auth::session::{HeldForm, STEP_UP_KEY};
use crate::http::auth::{CurrentUser, PortalSession};
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::http::web::page::{Page, html, safe_next, see_other};
use crate::http::web::security::pages::{ContinuePage, ReauthPage};
use crate::services::two_factor::{Checked, PasswordChecked};

#[derive(Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

pub async fn form(
    req: HttpRequest,
    user: CurrentUser,
    page: Page,
    state: web::Data<AppState>,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let held = PortalSession::of(&req)
        .get::<HeldForm>(STEP_UP_KEY)
        .is_some();
    let totp = !state.two_factor.factors(user.0.id).await?.is_empty();
    html(
        StatusCode::OK,
        &ReauthPage {
            page,
            totp,
            next: safe_next(&query.next).to_owned(),
            held,
            error: None,
        },
    )
}

#[derive(Deserialize)]
pub struct ReauthForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: String,
}

pub async fn submit(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    form: web::Form<ReauthForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let user_id = user.0.id;
    let ip = state.client_ip(&req);
    let session = PortalSession::of(&req);
    let t = crate::i18n::Lang::from_request(&req).catalog();
    let error = if !form.code.trim().is_empty() {
        let actor = state.actor(&req, Some(user_id));
        match state
            .two_factor
            .check(&actor, user_id, &form.code, &ip)
            .await?
        {
            Checked::Accepted { recovery_left } => {
                if let Some(left) = recovery_left {
                    session.flash(
                        crate::http::auth::session::FlashLevel::Info,
                        t.count("security-recovery_left", "count", left),
                    );
                }
                None
            }
            refused => Some(crate::http::web::security::refusal(&t, &refused)?),
        }
    } else if form.password.is_empty() {
        Some(t.get("reauth-missing"))
    } else {
        match state
            .two_factor
            .check_password(user_id, SecretString::from(form.password), &ip)
            .await?
        {
            PasswordChecked::Accepted => None,
            PasswordChecked::Wrong => Some(t.get("reauth-wrong_password")),
            PasswordChecked::Locked { wait } => {
                return Err(AppError::TooManyRequests {
                    retry_after_secs: wait.as_secs().max(1),
                });
            }
        }
    };
    let page = Page::build(&req).await?;
    if let Some(error) = error {
        let held = session.get::<HeldForm>(STEP_UP_KEY).is_some();
        let totp = !state.two_factor.factors(user_id).await?.is_empty();
        return html(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ReauthPage {
                page,
                totp,
                next: safe_next(&form.next).to_owned(),
                held,
                error: Some(error),
            },
        );
    }
    session.mark_reauthenticated()?;
    tracing::info!(%user_id, "re-authenticated");
    match session
        .take::<HeldForm>(STEP_UP_KEY)
        .filter(|held| crate::http::is_local_path(&held.path))
    {
        Some(held) => html(StatusCode::OK, &ContinuePage { page, held }),
        None => Ok(see_other(safe_next(&form.next))),
    }
}
