//! The HTML side of the portal, by area, and the middleware every request passes through.

pub mod access;
pub mod api_keys;
pub mod assets;
pub mod auth;
pub mod companies;
pub mod connect;
pub mod dashboard;
pub mod health;
pub mod language;
pub mod page;
pub mod request_log;
pub mod security_headers;
pub mod state;
pub mod templates;
pub mod tokens;
pub mod views;

use actix_web::web;

use crate::error::AppError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(dashboard::show))
        .route("/healthz", web::get().to(health::healthz))
        .route("/static/{name}", web::get().to(assets::serve))
        .route("/login", web::get().to(auth::login_form))
        .route("/login", web::post().to(auth::login))
        .route("/logout", web::post().to(auth::logout))
        .route("/register", web::get().to(auth::register_form))
        .route("/register", web::post().to(auth::register))
        .route("/language", web::post().to(language::switch))
        .route("/companies", web::post().to(dashboard::add_company))
        .route("/companies/{id}", web::get().to(companies::show))
        .route("/companies/{id}/connect", web::post().to(connect::start))
        .route("/anaf/callback", web::get().to(connect::callback))
        .route("/tokens", web::get().to(tokens::list))
        .route("/tokens/{id}/refresh", web::post().to(tokens::refresh))
        .route("/tokens/{id}/delete", web::get().to(tokens::confirm_delete))
        .route("/tokens/{id}/delete", web::post().to(tokens::delete))
        .route("/tokens/{id}/reveal", web::post().to(tokens::reveal))
        .route(api_keys::PATH, web::get().to(api_keys::index))
        .route(api_keys::PATH, web::post().to(api_keys::create))
        .route(
            "/settings/api-keys/{id}/revoke",
            web::post().to(api_keys::revoke),
        );
}

pub async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::NotFound)
}
