//! Error responses of the portal's pages: every one (ours, an extractor's, a 404 from routing)
//! becomes the branded HTML page in the visitor's language, or a redirect to the login page when
//! a session is needed. Internal details are logged with the request id and never shown.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse};

use crate::http::error::{AppError, FailedRequest, render_errors};
use crate::i18n::Lang;

/// Middleware for the portal's scope (see the module comment).
pub async fn render(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let res = next.call(req).await?;
    Ok(render_errors(res, render_failure))
}

fn render_failure(failed: &FailedRequest<'_>) -> HttpResponse {
    if matches!(failed.app_error(), Some(AppError::LoginRequired)) {
        redirect_to_login(failed.request)
    } else {
        error_page(
            failed.request,
            failed.status,
            failed.request_id,
            failed.app_error(),
        )
    }
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

fn error_page(
    request: &HttpRequest,
    status: StatusCode,
    request_id: &str,
    error: Option<&AppError>,
) -> HttpResponse {
    use askama::Template;
    let t = Lang::from_request(request).catalog();
    let (title_id, message_id) = match status.as_u16() {
        _ if matches!(error, Some(AppError::TokenUnreadable)) => (
            "error-token_unreadable-title",
            "error-token_unreadable-message",
        ),
        400 => ("error-400-title", "error-400-message"),
        401 | 403 => ("error-403-title", "error-403-message"),
        404 => ("error-404-title", "error-404-message"),
        405 => ("error-405-title", "error-405-message"),
        408 => ("error-408-title", "error-408-message"),
        413 => ("error-413-title", "error-413-message"),
        429 => ("error-429-title", "error-429-message"),
        503 => ("error-503-title", "error-503-message"),
        _ if status.is_client_error() => ("error-400-title", "error-400-message"),
        _ => ("error-500-title", "error-500-message"),
    };
    let message = match error {
        // Said in the page's language by the handler that refused.
        Some(AppError::NotPermitted(why)) => why.clone(),
        _ => t.get(message_id),
    };
    let page = ErrorPage {
        status: status.as_u16(),
        title: t.get(title_id),
        message,
        request_id: status.is_server_error().then_some(request_id),
        t,
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

#[derive(askama::Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub t: crate::i18n::Catalog,
    pub status: u16,
    pub title: String,
    pub message: String,
    pub request_id: Option<&'a str>,
}
