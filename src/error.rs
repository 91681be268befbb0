//! The one error story.
//!
//! Handlers return `AppError`; its `ResponseError` impl picks the status and headers. The body is
//! given by the scope the request belongs to: the portal's pages render every error response as
//! the branded HTML page in the visitor's language (`web::errors`), the REST API as an RFC 9457
//! problem detail (`api::problem`). Services return their own typed errors; the `From` impls
//! below say which status each deserves. Internal details are logged with the request id and never
//! shown.

use actix_web::body::BoxBody;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError};

use crate::tokens::TokenError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No (or an expired) session on a page that needs one: HTML goes to the login page.
    #[error("login required")]
    LoginRequired,
    /// No valid API credentials.
    #[error("authentication required")]
    Unauthenticated { detail: String },
    #[error("forbidden")]
    Forbidden,
    #[error("the form's security token is missing or wrong")]
    CsrfRejected,
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unprocessable(String),
    #[error("{0}")]
    Conflict(String),
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("unsupported content type")]
    UnsupportedMediaType,
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("{0}")]
    BadGateway(String),
    #[error("{0}")]
    ServiceUnavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        AppError::Internal(e.into())
    }
}

impl From<TokenError> for AppError {
    fn from(e: TokenError) -> Self {
        match e {
            TokenError::NotFound => AppError::NotFound,
            other => AppError::Internal(other.into()),
        }
    }
}

impl AppError {
    /// What a client may be told; internal errors say nothing about their cause.
    pub fn public_detail(&self) -> Option<String> {
        match self {
            AppError::BadRequest(d)
            | AppError::Unprocessable(d)
            | AppError::Conflict(d)
            | AppError::BadGateway(d)
            | AppError::ServiceUnavailable(d)
            | AppError::Unauthenticated { detail: d } => Some(d.clone()),
            AppError::Internal(_) => None,
            other => Some(other.to_string()),
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::LoginRequired | AppError::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::CsrfRejected => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::BadGateway(_) => StatusCode::BAD_GATEWAY,
            AppError::ServiceUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        let mut response = HttpResponse::build(self.status_code());
        match self {
            AppError::TooManyRequests { retry_after_secs } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            AppError::Unauthenticated { .. } => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            _ => {}
        }
        response.finish()
    }
}

/// The headers an error response keeps when a renderer replaces its body.
pub const KEPT_HEADERS: [header::HeaderName; 3] =
    [header::RETRY_AFTER, header::WWW_AUTHENTICATE, header::ALLOW];

/// Logs a server error's cause with the request id (the client only sees the id).
pub fn log_server_error(status: StatusCode, error: Option<&actix_web::Error>, request_id: &str) {
    if status.is_server_error()
        && let Some(error) = error
    {
        tracing::error!(request_id = %request_id, error = %error, "request failed");
    }
}
