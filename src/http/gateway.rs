//! The e-Factura gateway's paths: `/efactura/{test|prod}/FCTEL/rest/{operation}`, ANAF's own
//! below a new base URL, with `Authorization: Bearer <portal API key>` where ANAF's token went.
//! Answers are ANAF's (status, content type and bytes) with its class in `Efactura-Outcome`;
//! the portal's own refusals are RFC 9457 problem details.

use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::middleware::from_fn;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::anaf::client::EfacturaEnvironment;
use crate::anaf::efactura::{MAX_UPLOAD_BYTES, Operation};
use crate::http::api::auth;
use crate::http::error::AppError;
use crate::http::request::{BodyError, body_deadline, read_body};
use crate::http::state::AppState;
use crate::services::gateway::{GatewayCaller, GatewayError, GatewayRequest, Source};

/// The header that carries the class of ANAF's answer.
pub const OUTCOME_HEADER: &str = "Efactura-Outcome";

/// A body may take this long at least to arrive: an upload is up to 10 MB.
const UPLOAD_DEADLINE: Duration = Duration::from_secs(120);

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/efactura/{environment}/FCTEL/rest/{operation:.*}")
            .route(web::get().to(call))
            .route(web::post().to(call))
            .default_service(web::to(|| async {
                Err::<HttpResponse, _>(crate::http::api::problem::method_not_allowed(&[
                    "get", "post",
                ]))
            }))
            .wrap(from_fn(crate::http::api::problem::render)),
    );
}

impl From<GatewayError> for AppError {
    fn from(e: GatewayError) -> Self {
        let detail = e.to_string();
        match e {
            GatewayError::BadRequest(_) => AppError::BadRequest(detail),
            GatewayError::NotPermitted(_) => AppError::NotPermitted(detail),
            GatewayError::UnknownId(_) => AppError::NotFoundBecause(detail),
            GatewayError::NoWorkingToken(_) => AppError::Conflict(detail),
            GatewayError::QuotaSpent {
                scope,
                retry_after_secs,
                ..
            } => AppError::QuotaSpent {
                scope,
                detail,
                retry_after_secs,
            },
            GatewayError::NoAnswer(_) => AppError::GatewayTimeout(detail),
            GatewayError::TooLarge => AppError::PayloadTooLarge,
            GatewayError::Storage(cause) => cause.into(),
        }
    }
}

async fn call(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, actix_web::Error> {
    // The key first: nothing about the request is looked at for an unknown caller.
    let caller = auth::authenticate(&req).await?;
    let (environment, operation) = path.into_inner();
    let environment = match environment.as_str() {
        "test" => EfacturaEnvironment::Test,
        "prod" => EfacturaEnvironment::Prod,
        _ => return Err(AppError::NotFound.into()),
    };
    let operation = Operation::parse(&operation).ok_or_else(|| {
        AppError::NotFoundBecause(format!(
            "e-Factura has no operation `{operation}` (upload, uploadb2c, stareMesaj, \
             listaMesajeFactura, listaMesajePaginatieFactura, descarcare, validare/FACT1, \
             transformare/FACT1)"
        ))
    })?;
    let body = match operation.has_body() {
        true => {
            if req.method() != actix_web::http::Method::POST {
                return Err(crate::http::api::problem::method_not_allowed(&["post"]));
            }
            let mut inner: Payload = payload.into_inner();
            let deadline = body_deadline(&req).max(UPLOAD_DEADLINE);
            Some(
                read_body(&req, &mut inner, MAX_UPLOAD_BYTES, deadline)
                    .await
                    .map_err(|e| match e {
                        BodyError::TooLarge(_) => AppError::from(GatewayError::TooLarge),
                        other => other.into(),
                    })?,
            )
        }
        false => {
            if req.method() != actix_web::http::Method::GET {
                return Err(crate::http::api::problem::method_not_allowed(&["get"]));
            }
            drop(payload);
            None
        }
    };
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let actor = caller.actor(&req, &state);
    let answer = state
        .gateway
        .call(
            &GatewayCaller {
                user: caller.user_id,
                key: caller.key_id,
                scope: &caller.scope,
                actor: &actor,
            },
            GatewayRequest {
                environment,
                operation,
                query: req.query_string(),
                body,
                content_type,
            },
        )
        .await
        .map_err(AppError::from)?;
    let status = actix_web::http::StatusCode::from_u16(answer.status)
        .unwrap_or(actix_web::http::StatusCode::BAD_GATEWAY);
    let mut response = HttpResponse::build(status);
    response.insert_header((OUTCOME_HEADER, answer.outcome.as_str()));
    if answer.source == Source::Archive {
        response.insert_header(("Efactura-Source", "archive"));
    }
    if !answer.content_type.is_empty() {
        response.insert_header((header::CONTENT_TYPE, answer.content_type));
    }
    Ok(response.body(answer.body))
}
