//! Two gates in front of the portal's pages, after the CSRF check:
//!
//! - `require_enrolment`: a person the two-factor policy covers, without a second factor, is
//!   led to `/settings/security` from every page until enrolled (signing out, the language and
//!   the sign-in steps stay open);
//! - `step_up`: what gives a secret away (revealing a token, creating an API key, registering a
//!   webhook, creating an authorization link, attaching a token, changing two-factor) needs a
//!   password or second-factor check within the last ten minutes (a sign-in counts). When the
//!   last one is older, the posted form is held in the session and the person is sent to
//!   `/reauth`; once they re-authenticate, the form is shown again, filled in, for them to
//!   press Continue: a new POST, CSRF-checked like any other. Nothing is replayed unseen.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;

use crate::http::auth::PortalSession;
use crate::http::auth::csrf::held_fields;
use crate::http::auth::current_user;
use crate::http::auth::session::{HeldForm, STEP_UP_KEY};
use actix_web::HttpResponse;

/// The routes that need a fresh check (their patterns in `route_table!`), all POSTs.
pub const STEP_UP_ROUTES: &[&str] = &[
    "/tokens/{id}/reveal",
    "/settings/api-keys",
    "/companies/{id}/webhooks",
    "/links",
    "/companies/{id}/attach/{token_id}",
    "/coverage/attach",
    "/settings/security/totp/start",
    "/settings/security/passkeys",
    "/settings/security/passkeys/{id}/remove",
    "/admin/security",
];

/// Where a person who must enrol may still go.
fn open_while_enrolling(path: &str) -> bool {
    matches!(
        path,
        "/settings/security" | "/logout" | "/language" | "/login" | "/reauth"
    ) || [
        "/settings/security/",
        "/login/",
        "/static/",
        "/sandbox/mail",
    ]
    .iter()
    .any(|prefix| path.starts_with(prefix))
}

fn redirect(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_owned()))
        .finish()
}

pub async fn require_enrolment(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if open_while_enrolling(req.path()) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    // Errors (the database down) become the response here, so the error pages render them.
    match current_user::must_enrol(req.request()).await {
        Ok(false) => Ok(next.call(req).await?.map_into_left_body()),
        Ok(true) => {
            tracing::info!(path = %crate::telemetry::loggable_path(req.path()), "two-factor enrolment required first");
            let response = redirect("/settings/security");
            Ok(req.into_response(response).map_into_right_body())
        }
        Err(error) => Ok(req.error_response(error).map_into_right_body()),
    }
}

pub async fn step_up(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let guarded = req.method() == actix_web::http::Method::POST
        && req
            .match_pattern()
            .is_some_and(|pattern| STEP_UP_ROUTES.contains(&pattern.as_str()));
    let session = PortalSession::of(req.request());
    if !guarded || session.user_id().is_none() || session.reauth_fresh() {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let held = match held_fields(&mut req).await {
        Ok(fields) => session.insert(
            STEP_UP_KEY,
            &HeldForm {
                path: req.path().to_owned(),
                fields,
            },
        ),
        Err(error) => return Ok(req.error_response(error).map_into_right_body()),
    };
    if let Err(error) = held {
        return Ok(req.error_response(error).map_into_right_body());
    }
    tracing::info!(path = %crate::telemetry::loggable_path(req.path()), "re-authentication asked before a sensitive action");
    Ok(req.into_response(redirect("/reauth")).map_into_right_body())
}
