//! The REST API under `/api/`: Bearer API keys, JSON in and out, RFC 9457 problem details for
//! every error (`problem`), an OpenAPI 3.1 document and a Swagger UI.

pub mod auth;
pub mod openapi;
pub mod problem;
pub mod rate_limit;
pub mod tokens;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::error::JsonPayloadError;
use actix_web::middleware::from_fn;
use actix_web::web;

use crate::config::ApiRateLimit;
use crate::error::AppError;

pub use auth::ApiCaller;

/// What the API keeps between requests, in each process.
pub struct ApiContext {
    /// Per key and per process: with several instances a key may make that many requests to each.
    pub rate_limiter: rate_limit::KeyRateLimiter,
    /// When each key's `last_used_at` was last written by this process.
    touched: Mutex<HashMap<i64, Instant>>,
}

/// `last_used_at` is written at most this often per key.
pub const TOUCH_INTERVAL: Duration = Duration::from_secs(60);

impl ApiContext {
    pub fn new(limit: ApiRateLimit) -> ApiContext {
        ApiContext {
            rate_limiter: rate_limit::KeyRateLimiter::new(limit),
            touched: Mutex::new(HashMap::new()),
        }
    }

    /// True (and remembered) when key `id` is due a `last_used_at` write.
    fn due_for_touch(&self, id: i64) -> bool {
        let Ok(mut touched) = self.touched.lock() else {
            return false;
        };
        let now = Instant::now();
        match touched.get(&id) {
            Some(at) if now.duration_since(*at) < TOUCH_INTERVAL => false,
            _ => {
                touched.insert(id, now);
                true
            }
        }
    }
}

/// The versioned routes, declared once: `routes` registers them (each resource answering 405 with
/// `Allow` for other methods), `ROUTES` lists them for the authorization-matrix test, and
/// `VersionedPaths` puts their `#[utoipa::path]` descriptions into the OpenAPI document.
macro_rules! api_routes {
    ($( $path:literal => { $( $method:ident : $handler:path ),+ $(,)? } ),* $(,)?) => {
        fn versioned_routes(cfg: &mut web::ServiceConfig) {
            $(
                cfg.service(
                    web::resource(concat!("/v1", $path))
                        $( .route(web::$method().to($handler)) )+
                        .default_service(web::to(|| async {
                            Err::<actix_web::HttpResponse, _>(problem::method_not_allowed(
                                &[$( stringify!($method) ),+],
                            ))
                        }))
                        // Authenticate (and rate-limit) before any body is read.
                        .wrap(from_fn(auth::require_key)),
                );
            )*
        }

        /// Every (method, path) the API registers, paths as the OpenAPI document writes them.
        pub const ROUTES: &[(&str, &str)] = &[
            ("get", "/api/openapi.json"),
            ("get", "/api/docs"),
            ("get", "/api/docs/{file}"),
            $( $( (stringify!($method), concat!("/api/v1", $path)) ),+ ),*
        ];

        /// The `#[utoipa::path]` of every versioned route.
        #[derive(utoipa::OpenApi)]
        #[openapi(paths($( $( $handler ),+ ),*))]
        pub struct VersionedPaths;
    };
}

api_routes! {
    "/anaf/tokens" => { get: tokens::list, post: tokens::create },
    "/anaf/tokens/{id}" => { get: tokens::show, delete: tokens::delete },
    "/anaf/tokens/{id}/refresh" => { post: tokens::refresh },
    "/anaf/tokens/{id}/access-token" => { get: tokens::access_token },
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api")
            .app_data(json_config())
            .route("/openapi.json", web::get().to(openapi::document))
            .route("/docs", web::get().to(openapi::docs_page))
            .route("/docs/{file}", web::get().to(openapi::docs_asset))
            .configure(versioned_routes)
            .default_service(web::to(problem::not_found))
            .wrap(from_fn(problem::render)),
    );
}

/// JSON bodies: at most `MAX_BODY_BYTES`, `application/json` (or `+json`) required; every failure
/// becomes a problem detail that never repeats the body (it may hold a token).
fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(crate::MAX_BODY_BYTES)
        .content_type_required(true)
        .error_handler(|error, _| json_error(error).into())
}

fn json_error(error: JsonPayloadError) -> AppError {
    match error {
        JsonPayloadError::ContentType => AppError::UnsupportedMediaType,
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            AppError::PayloadTooLarge
        }
        JsonPayloadError::Deserialize(e) => AppError::BadRequest(describe_json_error(&e)),
        _ => AppError::BadRequest("the request body could not be read".to_owned()),
    }
}

/// serde_json's message, unless it could quote the body (an "invalid type: string …" does).
fn describe_json_error(error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match error.classify() {
        Category::Syntax | Category::Eof => format!(
            "malformed JSON (line {}, column {})",
            error.line(),
            error.column()
        ),
        Category::Data if error.to_string().starts_with("missing field") => {
            format!("missing field `{}`", missing_field(&error.to_string()))
        }
        Category::Data => "the body must be a JSON object: {\"token\": string, \"cif\"?: string, \
                           \"refreshToken\"?: string}"
            .to_owned(),
        Category::Io => "the request body could not be read".to_owned(),
    }
}

fn missing_field(message: &str) -> &str {
    message.split('`').nth(1).unwrap_or("token")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_errors_never_quote_the_body() {
        let e = serde_json::from_str::<tokens::CreateTokenRequest>("\"eyJsecret.a.b\"")
            .err()
            .expect("a string is not an object");
        let text = describe_json_error(&e);
        assert!(!text.contains("eyJ"), "{text}");
        let e = serde_json::from_str::<tokens::CreateTokenRequest>("{}")
            .err()
            .expect("token is required");
        assert_eq!(describe_json_error(&e), "missing field `token`");
        let e = serde_json::from_str::<tokens::CreateTokenRequest>("{\"token\":")
            .err()
            .expect("truncated");
        assert!(describe_json_error(&e).starts_with("malformed JSON"));
    }
}
