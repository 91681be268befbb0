//! Routes by method (HEAD answered as GET) and request bodies read with a size limit and a
//! deadline: the plumbing the pages and the API share.

use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::{self, Bytes, BytesMut};
use actix_web::{HttpRequest, Route, guard};
use futures_util::StreamExt;

/// The route for an HTTP method named in a route table; `get` also answers HEAD (actix sends
/// the headers of the GET answer without its body).
pub fn route_for(method: &str) -> Route {
    match method {
        "get" => web::route().guard(guard::Any(guard::Get()).or(guard::Head())),
        "post" => web::post(),
        "put" => web::put(),
        "patch" => web::patch(),
        "delete" => web::delete(),
        other => unreachable!("route tables name no method {other}"),
    }
}

/// The methods a resource allows, for an `Allow` header: GET brings HEAD.
pub fn allow_header(methods: &[&str]) -> String {
    let mut allowed: Vec<String> = methods.iter().map(|m| m.to_ascii_uppercase()).collect();
    if allowed.iter().any(|m| m == "GET") {
        allowed.push("HEAD".to_owned());
    }
    allowed.join(", ")
}

/// How long a body may take to arrive: `ANAF_PORTAL_REQUEST_BODY_TIMEOUT` (its default, 15 s,
/// where no application state is registered).
pub fn body_deadline(req: &HttpRequest) -> Duration {
    req.app_data::<web::Data<crate::http::state::AppState>>()
        .map_or(Duration::from_secs(15), |s| s.config.request_body_timeout)
}

/// Why a request body could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BodyError {
    #[error("the body is larger than {0} bytes")]
    TooLarge(usize),
    #[error("the body did not arrive in time")]
    TimedOut,
    #[error("the connection broke while the body was read")]
    Broken,
}

/// Reads the whole body, refusing one over `limit` bytes (from its `Content-Length` before
/// reading anything) and giving up when it has not fully arrived within `deadline`, so a client
/// that declares a body and never sends it cannot hold a connection and a worker for ever.
pub async fn read_body(
    req: &HttpRequest,
    payload: &mut Payload,
    limit: usize,
    deadline: Duration,
) -> Result<Bytes, BodyError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(BodyError::TooLarge(limit));
    }
    let read = async {
        let mut body = BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|_| BodyError::Broken)?;
            if body.len() + chunk.len() > limit {
                return Err(BodyError::TooLarge(limit));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    };
    tokio::time::timeout(deadline, read)
        .await
        .unwrap_or(Err(BodyError::TimedOut))
}

/// Whether `path` is a local path of this site (so `?next=` cannot send anyone elsewhere): it
/// starts with one `/`, not `//` or `/\\` (which browsers read as another host), and has no
/// control characters.
pub fn is_local_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && !path.chars().any(|c| c.is_control())
}
