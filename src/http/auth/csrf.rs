//! CSRF protection for the HTML routes: a synchronizer token kept in the session and sent back in
//! every form's `csrf_token` field (or an `X-CSRF-Token` header), plus an `Origin` /
//! `Sec-Fetch-Site` check. It wraps the portal's pages only: the REST API (Bearer keys, no cookies)
//! and the sandbox simulator are separate scopes.

use actix_web::HttpMessage;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web;

use crate::http::auth::PortalSession;
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::http::{BodyError, body_deadline, read_body};
use crate::secrets::constant_time_eq;

pub const FIELD: &str = "csrf_token";
const HEADER: &str = "x-csrf-token";
/// Forms are small; a bigger urlencoded body is refused before it is buffered.
const MAX_FORM_BYTES: usize = crate::MAX_BODY_BYTES;

pub async fn protect(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if req.method().is_safe() {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    if let Err(outage) = PortalSession::of(req.request()).check_available() {
        return Ok(req.error_response(outage).map_into_right_body());
    }
    match check(&mut req).await {
        Ok(()) => Ok(next.call(req).await?.map_into_left_body()),
        Err(Rejection::NoSessionToken) => {
            // No session at all: it ended (idle or absolute timeout) while the page was open.
            // The form is not acted on; the person signs in and comes back to where they were.
            // (A live session with a wrong token is still refused below.)
            match session_ended(&mut req).await {
                Ok(response) => Ok(req.into_response(response).map_into_right_body()),
                Err(error) => Ok(req.error_response(error).map_into_right_body()),
            }
        }
        Err(error) => {
            tracing::warn!(path = %crate::telemetry::loggable_path(req.path()), reason = %error, "unsafe request refused");
            let rejected: actix_web::Error = match error {
                Rejection::Body(problem) => AppError::from(problem).into(),
                _ => AppError::CsrfRejected.into(),
            };
            // An Ok response carrying the error, so the error renderer outside us sees the request.
            Ok(req.error_response(rejected).map_into_right_body())
        }
    }
}

/// The forms whose typed values are kept when they arrive after the session ended, so the page
/// shows them again after the sign-in.
const DRAFT_FORMS: &[&str] = &["/companies", "/companies/bulk"];

/// A form posted after the session ended: to the sign-in page, which says so, with `next` the
/// page the form was on (from a same-origin `Referer`, else the dashboard), and for the company
/// forms what was typed kept in the new session.
async fn session_ended(
    req: &mut ServiceRequest,
) -> Result<actix_web::HttpResponse, actix_web::Error> {
    tracing::info!(path = %crate::telemetry::loggable_path(req.path()), "a form arrived after its session ended");
    if DRAFT_FORMS.contains(&req.path()) {
        let fields = held_fields(req).await?;
        PortalSession::of(req.request()).insert(
            crate::http::auth::session::DRAFT_KEY,
            &crate::http::auth::session::HeldForm {
                path: req.path().to_owned(),
                fields,
            },
        )?;
    }
    let origin = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.origin())
        .unwrap_or_default();
    let back = req
        .headers()
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|referer| referer.strip_prefix(origin.as_str()))
        .filter(|rest| rest.starts_with('/'))
        .filter(|rest| crate::http::is_local_path(rest))
        .unwrap_or("/")
        .to_owned();
    let location = format!(
        "/login?ended=session&next={}",
        url::form_urlencoded::byte_serialize(back.as_bytes()).collect::<String>()
    );
    Ok(actix_web::HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish())
}

#[derive(Debug, thiserror::Error)]
enum Rejection {
    #[error("cross-origin request")]
    CrossOrigin,
    #[error("no csrf token in the session")]
    NoSessionToken,
    #[error("csrf token missing or wrong")]
    BadToken,
    #[error(transparent)]
    Body(#[from] BodyError),
}

async fn check(req: &mut ServiceRequest) -> Result<(), Rejection> {
    let expected_origin = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.origin())
        .unwrap_or_default();
    if let Some(origin) = req.headers().get(header::ORIGIN)
        && origin.as_bytes() != expected_origin.as_bytes()
    {
        return Err(Rejection::CrossOrigin);
    }
    if req
        .headers()
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site")
    {
        return Err(Rejection::CrossOrigin);
    }
    let expected = PortalSession::of(req.request())
        .existing_csrf_token()
        .ok_or(Rejection::NoSessionToken)?;

    let submitted = match req.headers().get(HEADER) {
        Some(value) => value.to_str().ok().map(str::to_owned),
        None => token_from_form(req).await?,
    };
    match submitted {
        Some(token) if constant_time_eq(token.as_bytes(), expected.as_bytes()) => Ok(()),
        _ => Err(Rejection::BadToken),
    }
}

/// Reads `csrf_token` from a urlencoded body and puts the body back for the handler.
async fn token_from_form(req: &mut ServiceRequest) -> Result<Option<String>, Rejection> {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Ok(None);
    }
    let deadline = body_deadline(req.request());
    let mut payload = req.take_payload();
    let body = read_body(req.request(), &mut payload, MAX_FORM_BYTES, deadline).await?;
    let token = url::form_urlencoded::parse(&body)
        .find(|(key, _)| key == FIELD)
        .map(|(_, value)| value.into_owned());
    req.set_payload(Payload::from(body));
    Ok(token)
}

/// The urlencoded form's fields but the CSRF token (none for another kind of body).
pub async fn held_fields(
    req: &mut ServiceRequest,
) -> Result<Vec<(String, String)>, actix_web::Error> {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Ok(Vec::new());
    }
    let deadline = body_deadline(req.request());
    let mut payload = req.take_payload();
    let body = read_body(req.request(), &mut payload, crate::MAX_BODY_BYTES, deadline)
        .await
        .map_err(AppError::from)?;
    let fields = url::form_urlencoded::parse(&body)
        .filter(|(key, _)| key != FIELD)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    req.set_payload(Payload::from(body));
    Ok(fields)
}
