//! `GET /metrics`: the Prometheus text format, for `Authorization: Bearer
//! $ANAF_PORTAL_METRICS_TOKEN` only (404 when that setting is unset, as if there were nothing).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;

use crate::http::error::AppError;
use crate::http::state::AppState;

pub async fn metrics(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let Some(expected) = &state.config.metrics_token else {
        return Err(AppError::NotFound);
    };
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !bool::from(given.as_bytes().ct_eq(expected.expose_secret().as_bytes())) {
        tracing::warn!(presented = !given.is_empty(), "metrics scrape refused");
        return Ok(HttpResponse::Unauthorized()
            .insert_header((header::WWW_AUTHENTICATE, "Bearer"))
            .content_type("text/plain; charset=utf-8")
            .body("Authorization: Bearer <ANAF_PORTAL_METRICS_TOKEN> required\n"));
    }
    crate::services::lifecycle::set_token_gauges(&state.db).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(crate::metrics::install().render()))
}
