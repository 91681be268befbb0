//! One log line per request: id, method, path (never the query string, which can carry OAuth
//! codes), status and latency. The id is echoed in `X-Request-Id` and on the 500 page.

use std::time::Instant;

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
    let path = req.path().to_owned();
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
