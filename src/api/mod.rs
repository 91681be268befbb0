//! The REST API under `/api/`: Bearer API keys, JSON in and out, RFC 9457 problem details for
//! every error (rendered by `crate::error::render`), an OpenAPI 3.1 document and a Swagger UI.

pub mod auth;
pub mod openapi;
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

/// Largest JSON body the API reads.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// What the API keeps between requests, shared by all workers.
pub struct ApiContext {
    pub rate_limiter: rate_limit::KeyRateLimiter,
    /// When each key's `last_used_at` was last written by this process.
    touched: Mutex<HashMap<i64, Instant>>,
    /// Serialises the store step of `POST /tokens` within this process (SQLite allows one writer;
    /// across instances PostgreSQL's unique indexes decide).
    pub store_lock: tokio::sync::Mutex<()>,
    /// Recent `GET /tokens` bodies per user (see `ListCache`).
    pub lists: ListCache,
}

/// The serialised token list per user, served while (1) the user's `listing_version` (read with
/// the API key) is the one it was built at: database triggers change it with every token,
/// company or membership change, from any instance; and (2) no token in it has crossed a status
/// boundary (expiring soon, expired). Polling integrations then cost one key lookup per request.
#[derive(Default)]
pub struct ListCache {
    entries: Mutex<HashMap<i64, CachedList>>,
}

struct CachedList {
    listing_version: i64,
    valid_until: chrono::NaiveDateTime,
    body: web::Bytes,
}

/// Entries kept at most; past it the cache starts over.
const LIST_CACHE_MAX_ENTRIES: usize = 10_000;

impl ListCache {
    pub fn get(
        &self,
        user_id: i64,
        listing_version: i64,
        now: chrono::NaiveDateTime,
    ) -> Option<web::Bytes> {
        let entries = self.entries.lock().ok()?;
        let entry = entries.get(&user_id)?;
        // A newer entry (kept by a request that started later) is as good: versions only grow.
        (entry.listing_version >= listing_version && now < entry.valid_until)
            .then(|| entry.body.clone())
    }

    pub fn put(
        &self,
        user_id: i64,
        listing_version: i64,
        valid_until: chrono::NaiveDateTime,
        body: web::Bytes,
    ) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= LIST_CACHE_MAX_ENTRIES {
                entries.clear();
            }
            if entries
                .get(&user_id)
                .is_some_and(|e| e.listing_version > listing_version)
            {
                return;
            }
            entries.insert(
                user_id,
                CachedList {
                    listing_version,
                    valid_until,
                    body,
                },
            );
        }
    }
}

/// `last_used_at` is written at most this often per key.
pub const TOUCH_INTERVAL: Duration = Duration::from_secs(60);

impl ApiContext {
    pub fn new(limit: ApiRateLimit) -> ApiContext {
        ApiContext {
            rate_limiter: rate_limit::KeyRateLimiter::new(limit),
            touched: Mutex::new(HashMap::new()),
            store_lock: tokio::sync::Mutex::new(()),
            lists: ListCache::default(),
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

/// Every (method, path) `routes` registers; the authorization matrix test checks this list against
/// the OpenAPI document and calls each route as every kind of caller.
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/api/openapi.json"),
    ("get", "/api/docs"),
    ("get", "/api/docs/{file}"),
    ("get", "/api/v1/anaf/tokens"),
    ("post", "/api/v1/anaf/tokens"),
    ("get", "/api/v1/anaf/tokens/{id}"),
    ("delete", "/api/v1/anaf/tokens/{id}"),
    ("post", "/api/v1/anaf/tokens/{id}/refresh"),
    ("get", "/api/v1/anaf/tokens/{id}/access-token"),
];

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api")
            .app_data(json_config())
            .route("/openapi.json", web::get().to(openapi::document))
            .route("/docs", web::get().to(openapi::docs_page))
            .route("/docs/{file}", web::get().to(openapi::docs_asset))
            .service(
                web::scope("/v1/anaf/tokens")
                    // Authenticate (and rate-limit) before any body is read.
                    .wrap(from_fn(auth::require_key))
                    .service(
                        web::resource("")
                            .get(tokens::list)
                            .post(tokens::create)
                            .default_service(allowing("GET, POST")),
                    )
                    .service(
                        web::resource("/{id}")
                            .get(tokens::show)
                            .delete(tokens::delete)
                            .default_service(allowing("GET, DELETE")),
                    )
                    .service(
                        web::resource("/{id}/refresh")
                            .post(tokens::refresh)
                            .default_service(allowing("POST")),
                    )
                    .service(
                        web::resource("/{id}/access-token")
                            .get(tokens::access_token)
                            .default_service(allowing("GET")),
                    ),
            ),
    );
}

/// 405 with `Allow`, as a problem detail (an error the renderer sees).
fn allowing(allow: &'static str) -> actix_web::Route {
    web::to(move || async move {
        let response = actix_web::HttpResponse::MethodNotAllowed()
            .insert_header((actix_web::http::header::ALLOW, allow))
            .finish();
        Err::<actix_web::HttpResponse, _>(actix_web::error::InternalError::from_response(
            format!("this resource allows {allow}"),
            response,
        ))
    })
}

/// JSON bodies: at most 64 KiB, `application/json` (or `+json`) required; every failure becomes
/// a problem detail that never repeats the body (it may hold a token).
fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(MAX_BODY_BYTES)
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
