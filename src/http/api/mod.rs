//! The REST API under `/api/`: Bearer API keys, JSON in and out, RFC 9457 problem details for
//! every error (`problem`), an OpenAPI 3.1 document and a Swagger UI.

pub mod auth;
pub mod json;
pub mod keys;
pub mod openapi;
pub mod problem;
pub mod rate_limit;
pub mod tokens;
pub mod webhooks;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::middleware::from_fn;
use actix_web::web;

use crate::config::ApiRateLimit;
use crate::domain::ApiKeyId;

pub use auth::ApiCaller;

/// What the API keeps between requests, in each process.
pub struct ApiContext {
    /// Per key and per process: with several instances a key may make that many requests to each.
    pub rate_limiter: rate_limit::KeyRateLimiter,
    /// When each key's `last_used_at` was last written by this process.
    touched: Mutex<HashMap<ApiKeyId, Instant>>,
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
    fn due_for_touch(&self, id: ApiKeyId) -> bool {
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
                        $( .route(crate::http::route_for(stringify!($method)).to($handler)) )+
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
    "/api-keys" => { get: keys::list },
    "/webhooks" => { get: webhooks::list, post: webhooks::create },
    "/webhooks/{id}" => { delete: webhooks::delete },
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api")
            .route("/openapi.json", web::get().to(openapi::document))
            .route("/docs", web::get().to(openapi::docs_page))
            .route("/docs/{file}", web::get().to(openapi::docs_asset))
            .configure(versioned_routes)
            .default_service(web::to(problem::not_found))
            .wrap(from_fn(problem::render)),
    );
}
