//! RFC 9457 problem details: the body of every error the REST API answers, and the OpenAPI
//! descriptions of the errors every endpoint shares.

use actix_web::HttpResponse;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use serde::Serialize;
use utoipa::{IntoResponses, ToSchema};

use crate::http::error::{AppError, render_errors};

/// An RFC 9457 problem detail, as every API error is rendered (`application/problem+json`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({
    "type": "about:blank", "title": "Unprocessable Entity", "status": 422,
    "detail": "this token is already stored", "requestId": "3f2b9c1e"
}))]
pub struct Problem {
    /// Always `about:blank`: the status says what kind of problem it is.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The status's reason phrase.
    pub title: &'static str,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong, in English; never contains a token or a key.
    pub detail: String,
    /// The id of the request in the portal's logs.
    pub request_id: String,
}

impl Problem {
    fn new(status: StatusCode, detail: String, request_id: String) -> Problem {
        Problem {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail,
            request_id,
        }
    }
}

/// Middleware for the API scope: gives every error response its problem+json body.
pub async fn render(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let res = next.call(req).await?;
    Ok(render_errors(res, |failed| {
        let status = failed.status;
        let detail = match failed.app_error() {
            Some(e) => e.public_detail(),
            // Extractor errors (bad JSON, wrong path parameter) describe the client's mistake only.
            None if status.is_client_error() => failed.error.map(|e| e.to_string()),
            None => None,
        }
        .unwrap_or_else(|| {
            if status.is_server_error() {
                format!(
                    "Internal error; quote request id {} to support.",
                    failed.request_id
                )
            } else {
                status.canonical_reason().unwrap_or("Error").to_owned()
            }
        });
        HttpResponse::build(status)
            .content_type("application/problem+json")
            .json(Problem::new(status, detail, failed.request_id.to_owned()))
    }))
}

/// The default answer of the API scope: 404 as a problem detail.
pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

/// 405 with `Allow` (the resource's methods, e.g. `["get", "post"]`), as a problem detail.
pub fn method_not_allowed(methods: &[&str]) -> actix_web::Error {
    let allow = crate::http::allow_header(methods);
    let response = HttpResponse::MethodNotAllowed()
        .insert_header((actix_web::http::header::ALLOW, allow.clone()))
        .finish();
    actix_web::error::InternalError::from_response(
        format!("this resource allows {allow}"),
        response,
    )
    .into()
}

/// The errors of an endpoint that names no token: no valid key, or the key's rate limit.
#[derive(IntoResponses)]
pub enum CallerErrors {
    /// Missing, malformed, unknown or revoked API key, or a disabled user.
    #[response(status = 401, content_type = "application/problem+json",
        headers(("WWW-Authenticate" = String, description = "`Bearer`")))]
    Unauthenticated(Problem),
    /// The key's rate limit is exhausted; see `Retry-After`.
    #[response(status = 429, content_type = "application/problem+json",
        headers(("Retry-After" = u64, description = "Seconds until the key may make another request")))]
    RateLimited(Problem),
}

/// The errors of an endpoint about one token: those of `CallerErrors`, and whose token it is.
#[derive(IntoResponses)]
pub enum TokenErrors {
    /// Missing, malformed, unknown or revoked API key, or a disabled user.
    #[response(status = 401, content_type = "application/problem+json",
        headers(("WWW-Authenticate" = String, description = "`Bearer`")))]
    Unauthenticated(Problem),
    /// The token belongs to a company the caller is not a member of, or (for changes and
    /// secrets) does not administer.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// No token with this id.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    /// The key's rate limit is exhausted; see `Retry-After`.
    #[response(status = 429, content_type = "application/problem+json",
        headers(("Retry-After" = u64, description = "Seconds until the key may make another request")))]
    RateLimited(Problem),
}
