//! The one error story.
//!
//! Handlers return `AppError`; its `ResponseError` impl picks the status and headers. The body is
//! given by the scope the request belongs to: the portal's pages render every error response as
//! the branded HTML page in the visitor's language (`web::errors`), the REST API as an RFC 9457
//! problem detail (`api::problem`). Services return their own typed errors; the `From` impls
//! below say which status each deserves. Internal details are logged with the request id and never
//! shown.

use actix_web::body::{BoxBody, EitherBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, ResponseError};

use crate::services::tokens::TokenError;

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
    /// Forbidden, and the caller may know why (an API key's scope).
    #[error("{0}")]
    NotPermitted(String),
    #[error("the form's security token is missing or wrong")]
    CsrfRejected,
    #[error("not found")]
    NotFound,
    /// Not found, and the caller may know why.
    #[error("{0}")]
    NotFoundBecause(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unprocessable(String),
    #[error("{0}")]
    Conflict(String),
    /// A stored token's values do not open: they were altered in the database (a ciphertext
    /// copied from another token) or their key is not configured. Not a bug of the request, and
    /// not something a retry fixes: a reconnect replaces the token.
    #[error(
        "the stored token cannot be decrypted (its values were altered in the database or its \
         key is not configured); connect ANAF again to replace it"
    )]
    TokenUnreadable,
    #[error("request body too large")]
    PayloadTooLarge,
    /// The declared body did not arrive within the body deadline.
    #[error("the request body did not arrive in time")]
    RequestTimeout,
    #[error("unsupported content type")]
    UnsupportedMediaType,
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    /// An e-Factura quota is spent: ANAF was not called.
    #[error("{detail}")]
    QuotaSpent {
        scope: &'static str,
        detail: String,
        retry_after_secs: u64,
    },
    /// ANAF gave no answer in time.
    #[error("{0}")]
    GatewayTimeout(String),
    #[error("{0}")]
    BadGateway(String),
    /// Try again later (ANAF down or limiting), after `retry_after_secs` when known.
    #[error("{detail}")]
    ServiceUnavailable {
        detail: String,
        retry_after_secs: Option<u64>,
    },
    /// The database cannot be reached: an outage of the whole portal, not a bug.
    #[error("the database is unavailable")]
    DatabaseUnavailable,
    #[error(transparent)]
    Internal(anyhow::Error),
}

/// How long a client should wait before retrying during a database outage.
pub const OUTAGE_RETRY_AFTER_SECS: u64 = 30;

impl AppError {
    pub fn unavailable(detail: impl Into<String>) -> AppError {
        AppError::ServiceUnavailable {
            detail: detail.into(),
            retry_after_secs: None,
        }
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        if crate::db::is_unavailable(&e) {
            tracing::error!(error = %e, "database unavailable");
            AppError::DatabaseUnavailable
        } else {
            AppError::Internal(e)
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        anyhow::Error::from(e).into()
    }
}

impl From<crate::http::BodyError> for AppError {
    fn from(e: crate::http::BodyError) -> Self {
        use crate::http::BodyError;
        match e {
            BodyError::TooLarge(_) => AppError::PayloadTooLarge,
            BodyError::TimedOut => AppError::RequestTimeout,
            BodyError::Broken => AppError::BadRequest(e.to_string()),
        }
    }
}

impl From<TokenError> for AppError {
    fn from(e: TokenError) -> Self {
        match e {
            TokenError::NotFound => AppError::NotFound,
            TokenError::Unreadable { token_id, source } => {
                // Only the token's id and the vault's reason (a key id at most): no secret.
                tracing::error!(token_id = token_id.get(), error = %source, "a stored token does not open under its own binding: altered in the database, or its key is missing");
                AppError::TokenUnreadable
            }
            TokenError::Storage(cause) if crate::db::is_unavailable(&cause) => {
                tracing::error!(error = %cause, "database unavailable");
                AppError::DatabaseUnavailable
            }
            other => AppError::Internal(anyhow::Error::new(other)),
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
            | AppError::NotPermitted(d)
            | AppError::NotFoundBecause(d)
            | AppError::GatewayTimeout(d)
            | AppError::QuotaSpent { detail: d, .. }
            | AppError::BadGateway(d)
            | AppError::ServiceUnavailable { detail: d, .. }
            | AppError::Unauthenticated { detail: d } => Some(d.clone()),
            AppError::DatabaseUnavailable => {
                Some("the portal's database is unavailable; try again in a little while".to_owned())
            }
            AppError::Internal(_) => None,
            other => Some(other.to_string()),
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::LoginRequired | AppError::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::CsrfRejected | AppError::NotPermitted(_) => {
                StatusCode::FORBIDDEN
            }
            AppError::NotFound | AppError::NotFoundBecause(_) => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict(_) | AppError::TokenUnreadable => StatusCode::CONFLICT,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::TooManyRequests { .. } | AppError::QuotaSpent { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            AppError::GatewayTimeout(_) => StatusCode::GATEWAY_TIMEOUT,
            AppError::BadGateway(_) => StatusCode::BAD_GATEWAY,
            AppError::ServiceUnavailable { .. } | AppError::DatabaseUnavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        let mut response = HttpResponse::build(self.status_code());
        match self {
            AppError::TooManyRequests { retry_after_secs }
            | AppError::QuotaSpent {
                retry_after_secs, ..
            }
            | AppError::ServiceUnavailable {
                retry_after_secs: Some(retry_after_secs),
                ..
            } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            AppError::DatabaseUnavailable => {
                response.insert_header((header::RETRY_AFTER, OUTAGE_RETRY_AFTER_SECS.to_string()));
            }
            AppError::Unauthenticated { .. } => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            _ => {}
        }
        response.finish()
    }
}

/// What a scope's error renderer is given: the failed request, its status and error, and the
/// request id to quote.
pub struct FailedRequest<'a> {
    pub request: &'a HttpRequest,
    pub status: StatusCode,
    pub error: Option<&'a actix_web::Error>,
    pub request_id: &'a str,
}

impl FailedRequest<'_> {
    /// Our own error, when the response came from one (not from an extractor or the router).
    pub fn app_error(&self) -> Option<&AppError> {
        self.error.and_then(|e| e.as_error::<AppError>())
    }
}

/// Gives an error response the body `render` makes for it (the portal's pages and the API each
/// have their own), keeping the headers that say how to retry or authenticate. Responses that
/// are not errors, or that a handler rendered on purpose (a form with its messages, 422), pass
/// through. A server error's cause is logged with the request id; the client only sees the id.
pub fn render_errors<B>(
    res: ServiceResponse<B>,
    render: impl FnOnce(&FailedRequest<'_>) -> HttpResponse,
) -> ServiceResponse<EitherBody<B>> {
    let status = res.status();
    if status.as_u16() < 400 || res.response().error().is_none() {
        return res.map_into_left_body();
    }
    let (request, response) = res.into_parts();
    let request_id = crate::telemetry::request_id(&request);
    if status.is_server_error()
        && let Some(error) = response.error()
    {
        tracing::error!(request_id = %request_id, error = %error, "request failed");
    }
    let mut rendered = render(&FailedRequest {
        request: &request,
        status,
        error: response.error(),
        request_id: &request_id,
    });
    for name in [header::RETRY_AFTER, header::WWW_AUTHENTICATE, header::ALLOW] {
        if let Some(value) = response.headers().get(&name) {
            rendered.headers_mut().insert(name, value.clone());
        }
    }
    ServiceResponse::new(request, rendered).map_into_right_body()
}
