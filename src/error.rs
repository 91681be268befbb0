//! The one error story.
//!
//! Handlers return `AppError`. Its `ResponseError` impl only picks the status; the `render`
//! middleware, which sees the request, turns *every* error response (ours, an extractor's, a 404
//! from routing) into the branded HTML error page in the visitor's language, or into an RFC 9457
//! `application/problem+json` body under `/api/`. Internal details are logged with the request id
//! and never shown.

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, ResponseError};

use crate::i18n::Lang;
use crate::web::request_log::RequestId;

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

impl AppError {
    /// What a client may be told; internal errors say nothing about their cause.
    fn public_detail(&self) -> Option<String> {
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

pub fn is_api_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// Middleware: gives every error response its final body (see the module comment).
pub async fn render(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let res = next.call(req).await?;
    let status = res.status();
    // Only errors get a body here: a page a handler rendered on purpose (a form with its
    // messages, 422) passes through, and so does the simulator, which speaks ANAF's own format.
    if status.as_u16() < 400
        || res.response().error().is_none()
        || res.request().path().starts_with("/sandbox/")
    {
        return Ok(res.map_into_left_body());
    }
    let (request, response) = res.into_parts();
    let app_error = response.error().and_then(|e| e.as_error::<AppError>());
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .map(|id| id.0.clone())
        .unwrap_or_default();

    if status.is_server_error()
        && let Some(error) = response.error()
    {
        tracing::error!(request_id = %request_id, error = %error, "request failed");
    }

    let mut rendered = if is_api_path(request.path()) {
        problem_json(status, app_error, response.error(), &request_id)
    } else if matches!(app_error, Some(AppError::LoginRequired)) {
        redirect_to_login(&request)
    } else {
        error_page(&request, status, &request_id)
    };
    for name in [header::RETRY_AFTER, header::WWW_AUTHENTICATE, header::ALLOW] {
        if let Some(value) = response.headers().get(&name) {
            rendered.headers_mut().insert(name, value.clone());
        }
    }
    Ok(ServiceResponse::new(request, rendered).map_into_right_body())
}

fn problem_json(
    status: StatusCode,
    app_error: Option<&AppError>,
    any_error: Option<&actix_web::Error>,
    request_id: &str,
) -> HttpResponse {
    let title = status.canonical_reason().unwrap_or("Error");
    let detail = match app_error {
        Some(e) => e.public_detail(),
        // Extractor errors (bad JSON, wrong path parameter) describe the client's mistake only.
        None if status.is_client_error() => any_error.map(|e| e.to_string()),
        None => None,
    }
    .unwrap_or_else(|| {
        if status.is_server_error() {
            format!("Internal error; quote request id {request_id} to support.")
        } else {
            title.to_owned()
        }
    });
    let body = serde_json::json!({
        "type": "about:blank",
        "title": title,
        "status": status.as_u16(),
        "detail": detail,
        "requestId": request_id,
    });
    HttpResponse::build(status)
        .content_type("application/problem+json")
        .body(body.to_string())
}

fn redirect_to_login(request: &HttpRequest) -> HttpResponse {
    let mut location = String::from("/login");
    if request.method() == actix_web::http::Method::GET && request.path() != "/" {
        let next = request
            .uri()
            .path_and_query()
            .map(|pq| pq.as_str())
            .unwrap_or("/");
        location.push_str("?next=");
        location
            .push_str(&url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>());
    }
    HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            HeaderValue::from_str(&location).unwrap_or(HeaderValue::from_static("/login")),
        ))
        .finish()
}

fn error_page(request: &HttpRequest, status: StatusCode, request_id: &str) -> HttpResponse {
    use askama::Template;
    let lang = Lang::from_request(request);
    let (title_key, message_key) = match status.as_u16() {
        400 => ("error.400.title", "error.400.message"),
        401 | 403 => ("error.403.title", "error.403.message"),
        404 => ("error.404.title", "error.404.message"),
        405 => ("error.405.title", "error.405.message"),
        413 => ("error.413.title", "error.413.message"),
        429 => ("error.429.title", "error.429.message"),
        _ if status.is_client_error() => ("error.400.title", "error.400.message"),
        _ => ("error.500.title", "error.500.message"),
    };
    let page = crate::web::templates::ErrorPage {
        t: lang.catalog(),
        status: status.as_u16(),
        title: lang.catalog().get(title_key),
        message: lang.catalog().get(message_key),
        request_id: status.is_server_error().then_some(request_id),
    };
    match page.render() {
        Ok(html) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(html),
        Err(e) => {
            tracing::error!(error = %e, "error page failed to render");
            HttpResponse::build(status)
                .content_type("text/plain; charset=utf-8")
                .body(status.to_string())
        }
    }
}
