//! Logs: the subscriber, and one line per request with its id (echoed in `X-Request-Id` and on the
//! 500 page). Never the query string, which can carry OAuth codes.

use std::time::Instant;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::field::MakeExt;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;

#[derive(Debug, Clone)]
pub struct RequestId(pub String);

pub async fn log_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let id = crate::secrets::random_token(9);
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().clone();
    let path = loggable_path(req.path()).into_owned();
    let result = next.call(req).await;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    match result {
        Ok(mut res) => {
            let status = res.status().as_u16();
            tracing::info!(request_id = %id, %method, %path, status, latency_ms, "request");
            if let Ok(value) = HeaderValue::from_str(&id) {
                res.headers_mut()
                    .insert(HeaderName::from_static("x-request-id"), value);
            }
            Ok(res)
        }
        Err(error) => {
            tracing::error!(request_id = %id, %method, %path, latency_ms, error = %error, "request failed");
            Err(error)
        }
    }
}

/// Logs to stderr, one line per event; `RUST_LOG` overrides the default level (info). Every field
/// value is written with its control characters escaped (`escape_controls`): many values come
/// from requests (paths, ANAF's error texts a callback carries), and a raw newline or terminal
/// escape in one would forge a log line of its own or repaint the terminal.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let fields = tracing_subscriber::fmt::format::debug_fn(|writer, field, value| {
        let raw = format!("{value:?}");
        let text = escape_controls(&raw);
        if field.name() == "message" {
            write!(writer, "{text}")
        } else {
            write!(writer, "{field}={text}")
        }
    })
    .delimited(" ");
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .fmt_fields(fields)
        .try_init();
}

/// `text` with every control character written as an escape (`\n`, `\r`, `\t`, `\u{1b}`).
pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => escaped.push_str("\\n"),
            '\r' => escaped.push_str("\\r"),
            '\t' => escaped.push_str("\\t"),
            c if c.is_control() => escaped.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => escaped.push(c),
        }
    }
    std::borrow::Cow::Owned(escaped)
}

/// A request path as logs may show it: the secret of an authorization link (`/l/{secret}…`) or
/// of an address confirmation (`/verify-email/{secret}`, `/settings/account/email/{secret}`) or
/// of a password reset (`/password/reset/{secret}`) is replaced by `…`, since whoever reads the
/// log could otherwise use the link.
pub fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    let secret_after = [
        "/l/",
        "/verify-email/",
        "/password/reset/",
        "/settings/account/email/",
    ]
    .into_iter()
    .find_map(|prefix| Some((prefix, path.strip_prefix(prefix)?)));
    match secret_after {
        Some((prefix, rest)) if !(prefix == "/l/" && rest.starts_with("done/")) => {
            let tail = rest.find('/').map_or("", |at| &rest[at..]);
            std::borrow::Cow::Owned(format!("{prefix}…{tail}"))
        }
        _ => std::borrow::Cow::Borrowed(path),
    }
}

/// The request's id, as `log_requests` assigned it.
pub fn request_id(req: &actix_web::HttpRequest) -> String {
    req.extensions()
        .get::<RequestId>()
        .map(|id| id.0.clone())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn account_link_secrets_are_not_logged() {
        assert_eq!(
            super::loggable_path("/password/reset/AbC-123_x"),
            "/password/reset/…"
        );
        assert_eq!(
            super::loggable_path("/settings/account/email/AbC-123_x"),
            "/settings/account/email/…"
        );
        assert_eq!(
            super::loggable_path("/settings/account"),
            "/settings/account"
        );
    }

    #[test]
    fn link_secrets_are_not_logged() {
        assert_eq!(super::loggable_path("/l/AbC-123_x"), "/l/…");
        assert_eq!(super::loggable_path("/l/AbC-123_x/connect"), "/l/…/connect");
        assert_eq!(super::loggable_path("/l/done/xyz"), "/l/done/xyz");
        assert_eq!(super::loggable_path("/links/4"), "/links/4");
        assert_eq!(
            super::loggable_path("/verify-email/AbC-123_x"),
            "/verify-email/…"
        );
        assert_eq!(super::loggable_path("/verify-email"), "/verify-email");
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(super::escape_controls("plain text"), "plain text");
        assert_eq!(
            super::escape_controls("x\r\n2026 INFO forged\u{1b}[31m"),
            "x\\r\\n2026 INFO forged\\u{1b}[31m"
        );
    }
}
