//! The HTML side of the portal. Each folder is an area (its handlers in `mod.rs` and beside it,
//! its askama page structs and view models in `pages.rs`); an area imports only the shared
//! files here, never another area's handlers — except the link flavour of `connect`, which
//! shows `links`' pages. The shared files: `page` (the extractor every page starts from,
//! rendering, redirects), `views` (rows and labels several areas show), `company_list` (the
//! paged, sorted company list), `access` (membership checks), `diagnosis`, `errors` (error
//! pages), `routing`, and the middleware and plain endpoints (`security_headers`, `language`,
//! `assets`, `health`, `metrics`).

// Areas.
pub mod account;
pub mod admin;
pub mod api_keys;
pub mod auth;
pub mod companies;
pub mod connect;
pub mod dashboard;
pub mod invitations;
pub mod links;
pub mod members;
pub mod notifications;
pub mod sandbox_mail;
pub mod security;
pub mod support;
pub mod tokens;
pub mod webhooks;

// Shared by the areas.
pub mod access;
pub mod assets;
pub mod company_list;
pub mod diagnosis;
pub mod errors;
pub mod health;
pub mod language;
pub mod metrics;
pub mod page;
pub mod routing;
pub mod security_headers;
pub mod views;

use crate::http::error::AppError;

routing::route_table! {
    get "/" => dashboard::show,
    get "/static/{name}" => assets::serve,
    get "/login" => auth::login_form,
    post "/login" => auth::login,
    post "/logout" => auth::logout,
    get "/register" => auth::register_form,
    post "/register" => auth::register,
    get "/password/forgot" => account::recovery::forgot_form,
    post "/password/forgot" => account::recovery::forgot,
    get "/password/reset/{secret}" => account::recovery::reset_form,
    post "/password/reset/{secret}" => account::recovery::reset,
    get "/settings/account" => account::settings::show,
    post "/settings/account/password" => account::settings::change_password,
    post "/settings/account/email" => account::settings::change_email,
    get "/settings/account/email/{secret}" => account::settings::confirm_email,
    get "/settings/sessions" => account::sessions::list,
    post "/settings/sessions/end-others" => account::sessions::end_others,
    post "/settings/sessions/{id}/end" => account::sessions::end,
    get "/login/second-factor" => security::login::form,
    post "/login/second-factor" => security::login::submit,
    post "/login/second-factor/passkey" => security::passkeys::factor,
    post "/login/passkey" => security::passkeys::sign_in,
    get "/reauth" => security::reauth::form,
    post "/reauth" => security::reauth::submit,
    get "/settings/security" => security::show,
    post "/settings/security/totp/start" => security::start,
    post "/settings/security/totp/confirm" => security::confirm,
    post "/settings/security/totp/disable" => security::disable,
    post "/settings/security/recovery-codes" => security::regenerate,
    post "/settings/security/passkeys" => security::passkeys::start,
    post "/settings/security/passkeys/finish" => security::passkeys::finish,
    post "/settings/security/passkeys/{id}/remove" => security::passkeys::remove,
    get "/admin/security" => security::policy::show,
    post "/admin/security" => security::policy::save,
    get "/verify-email/{secret}" => account::verify,
    post "/verify-email" => account::send_link,
    get "/sandbox/mail" => sandbox_mail::mailbox,
    get "/sandbox/mail/{id}" => sandbox_mail::show,
    post "/language" => language::switch,
    post "/companies" => dashboard::add_company,
    post "/companies/bulk" => dashboard::add_companies_in_bulk,
    get "/companies/{id}" => companies::show,
    post "/companies/{id}/name" => companies::rename,
    post "/companies/{id}/connect" => connect::account::start,
    post "/companies/{id}/attach/{token_id}" => companies::attach,
    get "/coverage" => companies::coverage::show,
    post "/coverage/attach" => companies::coverage::attach_offers,
    get "/companies/{id}/members" => members::list,
    post "/companies/{id}/members" => members::invite,
    post "/companies/{id}/invitations/{invitation_id}/cancel" => members::cancel_invitation,
    post "/invitations/accept-all" => invitations::accept_all,
    post "/invitations/{id}/accept" => invitations::accept,
    post "/invitations/{id}/decline" => invitations::decline,
    post "/companies/{id}/members/{user_id}/role" => members::change_role,
    get "/companies/{id}/members/{user_id}/remove" => members::confirm_remove,
    post "/companies/{id}/members/{user_id}/remove" => members::remove,
    get "/members/invite" => members::invite_many_form,
    post "/members/invite" => members::invite_many,
    get "/anaf/callback" => connect::callback,
    get "/anaf/connect-failed/{id}" => connect::failure::failed,
    get "/tokens" => tokens::list,
    get "/tokens.csv" => tokens::export_csv,
    post "/tokens/refresh-expiring" => tokens::jobs::start_refresh_expiring,
    get "/jobs/{id}" => tokens::jobs::show,
    post "/tokens/{id}/refresh" => tokens::refresh,
    get "/tokens/{id}/delete" => tokens::confirm_delete,
    post "/tokens/{id}/delete" => tokens::delete,
    post "/tokens/{id}/reveal" => tokens::reveal,
    get "/support" => support::overview,
    get "/support/companies/{id}" => support::company,
    get "/support/lifecycle" => support::lifecycle::show,
    get "/admin/users" => admin::users,
    post "/admin/users/{id}/role" => admin::change_role,
    post "/admin/users/{id}/disable" => admin::disable,
    post "/admin/users/{id}/enable" => admin::enable,
    post "/admin/users/{id}/verify" => admin::verify,
    post "/admin/users/{id}/reset-link" => admin::reset_link,
    post "/admin/users/{id}/sessions/end" => admin::end_sessions,
    get "/admin/audit" => admin::audit_log,
    get "/settings/api-keys" => api_keys::index,
    post "/settings/api-keys" => api_keys::create,
    post "/settings/api-keys/{id}/revoke" => api_keys::revoke,
    get "/notifications" => notifications::list,
    post "/notifications/read-all" => notifications::mark_all_read,
    post "/notifications/{id}/read" => notifications::mark_read,
    get "/settings/notifications" => notifications::settings,
    post "/settings/notifications" => notifications::save_settings,
    post "/settings/notifications/test" => notifications::send_test,
    get "/companies/{id}/webhooks" => webhooks::index,
    post "/companies/{id}/webhooks" => webhooks::create,
    get "/companies/{id}/webhooks/{endpoint_id}" => webhooks::show,
    post "/companies/{id}/webhooks/{endpoint_id}/enable" => webhooks::enable,
    post "/companies/{id}/webhooks/{endpoint_id}/delete" => webhooks::delete,
    post "/companies/{id}/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver" => webhooks::redeliver,
    get "/links" => links::list,
    get "/links/new" => links::new_form,
    post "/links" => links::create,
    get "/links/{id}" => links::show,
    post "/links/{id}/revoke" => links::revoke,
    get "/l/{secret}" => links::holder::holder,
    post "/l/{secret}/connect" => connect::link::start,
    get "/l/done/{id}" => connect::link::outcome,
}

/// Routes served outside the portal's session scope: a monitor's health check must answer 503
/// (not the session store's failure) while the database is down, cookie or not; a metrics
/// scraper has no session.
pub const ROUTES_OUTSIDE_SESSIONS: &[(&str, &str)] = &[("get", "/healthz"), ("get", "/metrics")];

pub fn routes_outside_sessions(cfg: &mut actix_web::web::ServiceConfig) {
    cfg.route("/healthz", actix_web::web::get().to(health::healthz))
        .route("/metrics", actix_web::web::get().to(metrics::metrics));
}

pub async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::NotFound)
}
