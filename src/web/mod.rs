//! The HTML side of the portal, by area, and the middleware every request passes through.

pub mod assets;
pub mod auth;
pub mod dashboard;
pub mod health;
pub mod language;
pub mod page;
pub mod request_log;
pub mod security_headers;
pub mod state;
pub mod templates;

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
        .route("/language", web::post().to(language::switch));
}

pub async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::NotFound)
}
