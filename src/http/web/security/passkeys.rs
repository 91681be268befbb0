//! Passkeys on the pages: adding one on Settings → Security (a form that asks for a name, then a
//! button that hands the browser the challenge), removing one, and signing in with one, as the
//! second step after the password or alone from the login page. The browser's answers come as
//! JSON (`static/app.js`, with the page's CSRF token in `X-CSRF-Token`); the reply says where to
//! go next, or why not (422, in the reader's language).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, PasskeyAuthentication, PublicKeyCredential,
    RegisterPublicKeyCredential,
};

use crate::domain::PasskeyId;
use crate::http::api::json::ApiJson;
use crate::http::auth::session::FlashLevel;
use crate::http::auth::{CurrentUser, PortalSession};
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::http::web::page::{Page, see_other};
use crate::http::web::security::{PATH, Shown, render};
use crate::i18n::Lang;
use crate::services::two_factor::passkeys::{NAME_MAX_CHARS, NotAdded, PasskeyChecked};

/// The session keys of the three ceremonies, each holding its webauthn-rs state.
const REGISTRATION_KEY: &str = "passkey_registration";
const FACTOR_KEY: &str = "passkey_factor";
const SIGN_IN_KEY: &str = "passkey_sign_in";
/// Recovery codes made with a first passkey, until the security page shows them.
pub const CODES_TO_SHOW_KEY: &str = "recovery_codes_to_show";

#[derive(Deserialize)]
pub struct NameForm {
    #[serde(default)]
    name: String,
}

/// The page's JSON answer: where the browser goes now.
fn go(next: &str) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "next": next }))
}

/// A refusal the page shows next to its button.
fn refused(detail: String) -> HttpResponse {
    HttpResponse::UnprocessableEntity()
        .content_type("application/problem+json")
        .json(serde_json::json!({
            "type": "about:blank",
            "title": "Unprocessable Entity",
            "status": 422,
            "detail": detail,
        }))
}

fn options_json(options: &impl serde::Serialize) -> Result<String, AppError> {
    serde_json::to_string(options).map_err(|e| AppError::Internal(e.into()))
}

/// Step one of adding a passkey: its name, then the page with the Create button.
pub async fn start(
    req: HttpRequest,
    user: CurrentUser,
    page: Page,
    state: web::Data<AppState>,
    form: web::Form<NameForm>,
) -> Result<HttpResponse, AppError> {
    if !state.two_factor.passkeys_available() {
        return Ok(see_other(PATH));
    }
    let name = form.name.trim();
    let problem = if name.is_empty() {
        Some("passkeys-name_missing")
    } else if name.chars().count() > NAME_MAX_CHARS || name.chars().any(char::is_control) {
        Some("passkeys-name_invalid")
    } else {
        None
    };
    if let Some(key) = problem {
        let shown = Shown {
            passkey_error: Some(page.t.get(key)),
            ..Shown::default()
        };
        return render(
            page,
            &state,
            &user.0,
            shown,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let (options, pending) = state
        .two_factor
        .start_passkey_registration(&user.0, name)
        .await?;
    PortalSession::of(&req).insert(REGISTRATION_KEY, &pending)?;
    let shown = Shown {
        passkey_options: Some(options_json(&options)?),
        ..Shown::default()
    };
    render(page, &state, &user.0, shown, StatusCode::OK).await
}

/// Step two: the authenticator's answer. Once only: the state leaves the session.
pub async fn finish(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    answer: ApiJson<RegisterPublicKeyCredential>,
) -> Result<HttpResponse, AppError> {
    let t = Lang::from_request(&req).catalog();
    let session = PortalSession::of(&req);
    let Some(pending) = session.take(REGISTRATION_KEY) else {
        return Ok(refused(t.get("passkeys-expired")));
    };
    let actor = state.actor(&req, Some(user.0.id));
    let added = state
        .two_factor
        .finish_passkey_registration(&actor, &user.0, pending, &answer.0)
        .await?;
    match added {
        Ok(recovery_codes) => {
            tracing::info!(user_id = %user.0.id, "passkey added");
            session.flash(FlashLevel::Success, t.get("passkeys-added_flash"));
            if !recovery_codes.is_empty() {
                // Shown once by the security page, which takes them out of the session.
                session.insert(CODES_TO_SHOW_KEY, &recovery_codes)?;
            }
            Ok(go(PATH))
        }
        Err(NotAdded::Duplicate) => Ok(refused(t.get("passkeys-duplicate"))),
        Err(NotAdded::Invalid) => Ok(refused(t.get("passkeys-failed"))),
    }
}

pub async fn remove(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<PasskeyId>,
) -> Result<HttpResponse, AppError> {
    let actor = state.actor(&req, Some(user.0.id));
    let removed = state
        .two_factor
        .remove_passkey(&actor, &user.0, path.into_inner())
        .await?;
    if !removed {
        return Err(AppError::NotFound);
    }
    let t = Lang::from_request(&req).catalog();
    PortalSession::of(&req).flash(FlashLevel::Success, t.get("passkeys-removed"));
    Ok(see_other(PATH))
}

/// The options for the second step's passkey button, when the pending account has passkeys
/// (the state waits in the session for the answer).
pub async fn factor_options(
    state: &AppState,
    session: &PortalSession,
    user: crate::domain::UserId,
) -> Result<Option<String>, AppError> {
    match state.two_factor.start_passkey_factor(user).await? {
        Some((options, authentication)) => {
            session.insert(FACTOR_KEY, &authentication)?;
            Ok(Some(options_json(&options)?))
        }
        None => Ok(None),
    }
}

/// A sign-in with a passkey alone waiting for the browser's answer, and where it leads.
#[derive(serde::Serialize, serde::Deserialize)]
struct PendingSignIn {
    authentication: DiscoverableAuthentication,
    next: String,
}

/// The login page's "Sign in with a passkey" options, when the portal allows passkeys; `next`
/// is the (already checked) local page the sign-in returns to.
pub fn sign_in_options(
    state: &AppState,
    session: &PortalSession,
    next: &str,
) -> Result<Option<String>, AppError> {
    if !state.two_factor.passkeys_available() {
        return Ok(None);
    }
    let (options, authentication) = state.two_factor.start_passkey_sign_in()?;
    let pending = PendingSignIn {
        authentication,
        next: next.to_owned(),
    };
    session.insert(SIGN_IN_KEY, &pending)?;
    Ok(Some(options_json(&options)?))
}

/// The second step answered with a passkey.
pub async fn factor(
    req: HttpRequest,
    state: web::Data<AppState>,
    answer: ApiJson<PublicKeyCredential>,
) -> Result<HttpResponse, AppError> {
    let t = Lang::from_request(&req).catalog();
    let session = PortalSession::of(&req);
    let (Some(pending), Some(authentication)) = (
        session.pending_factor(),
        session.take::<PasskeyAuthentication>(FACTOR_KEY),
    ) else {
        return Ok(refused(t.get("login-factor_expired")));
    };
    let actor = state.actor(&req, Some(pending.user_id));
    let checked = state
        .two_factor
        .finish_passkey_factor(
            &actor,
            pending.user_id,
            authentication,
            &answer.0,
            &state.client_ip(&req),
        )
        .await?;
    signed_in(&session, &t, checked, &pending.next)
}

/// A sign-in with a passkey alone, from the login page.
pub async fn sign_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    answer: ApiJson<PublicKeyCredential>,
) -> Result<HttpResponse, AppError> {
    let t = Lang::from_request(&req).catalog();
    let session = PortalSession::of(&req);
    let Some(pending) = session.take::<PendingSignIn>(SIGN_IN_KEY) else {
        return Ok(refused(t.get("passkeys-expired")));
    };
    let actor = state.actor(&req, None);
    let checked = state
        .two_factor
        .finish_passkey_sign_in(
            &actor,
            pending.authentication,
            &answer.0,
            &state.client_ip(&req),
        )
        .await?;
    // A disabled account has passkeys still, but signs in with nothing.
    let checked = match checked {
        PasskeyChecked::Accepted(user) if state.two_factor.session_user(user).await?.is_none() => {
            PasskeyChecked::Refused
        }
        other => other,
    };
    signed_in(&session, &t, checked, &pending.next)
}

fn signed_in(
    session: &PortalSession,
    t: &crate::i18n::Catalog,
    checked: PasskeyChecked,
    next: &str,
) -> Result<HttpResponse, AppError> {
    match checked {
        PasskeyChecked::Accepted(user) => {
            session.log_in(user)?;
            tracing::info!(user_id = %user, "login succeeded with a passkey");
            session.flash(FlashLevel::Success, t.get("login-welcome"));
            Ok(go(next))
        }
        PasskeyChecked::Refused => Ok(refused(t.get("passkeys-refused"))),
        PasskeyChecked::Locked { wait } => Err(AppError::TooManyRequests {
            retry_after_secs: wait.as_secs().max(1),
        }),
    }
}
