//! The account: proving its email address (the link mailed to it, a new link on request), a
//! forgotten password (`recovery`), its settings (`settings`) and its sessions (`sessions`).

pub mod pages;
pub mod recovery;
pub mod sessions;
pub mod settings;

use actix_web::{HttpRequest, HttpResponse, web};

use crate::http::auth::session::FlashLevel;
use crate::http::auth::{CurrentUser, PortalSession};
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::http::web::page::see_other;
use crate::i18n::Lang;
use crate::services::accounts::LinkSent;
use crate::services::accounts::Verification;

/// The link of a verification mail. Only its account, logged in, can use it (a person who is
/// not logged in goes to the login page first): someone who registered another person's address
/// gains nothing when that person opens the mail.
pub async fn verify(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let actor = state.actor(&req, Some(user.0.id));
    let outcome = state.accounts.verify(&actor, &user.0, &path).await?;
    let t = Lang::from_request(&req).catalog();
    let session = PortalSession::of(&req);
    match outcome {
        Verification::Verified => {
            tracing::info!(user_id = %user.0.id, "email verified");
            session.flash(FlashLevel::Success, t.get("verify-done"));
        }
        Verification::Invalid => {
            tracing::info!(user_id = %user.0.id, "a verification link did not hold");
            session.flash(FlashLevel::Error, t.get("verify-invalid"));
        }
    }
    Ok(see_other("/"))
}

/// Mails a new verification link to the logged-in person's address.
pub async fn send_link(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let t = Lang::from_request(&req).catalog();
    let session = PortalSession::of(&req);
    if user.0.is_verified() {
        session.flash(FlashLevel::Info, t.get("verify-already"));
        return Ok(see_other("/"));
    }
    let sent = state
        .accounts
        .send_link(&user.0, Lang::from_request(&req))
        .await?;
    let (level, key) = match sent {
        LinkSent::Sent => (FlashLevel::Success, "verify-sent"),
        LinkSent::TooMany => (FlashLevel::Error, "verify-too_many"),
        LinkSent::NoEmail => (FlashLevel::Info, "verify-no_email"),
        LinkSent::Failed => (FlashLevel::Error, "verify-send_failed"),
    };
    session.flash(level, t.get(key));
    Ok(see_other("/"))
}
