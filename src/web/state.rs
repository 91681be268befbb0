use crate::auth::Passwords;
use crate::auth::login_limiter::LoginLimiter;
use crate::config::Registration;
use crate::db::Db;
use crate::tokens::TokenService;
use crate::web::listing::Listings;

/// What every handler may need, shared by all workers.
pub struct AppState {
    pub db: Db,
    pub passwords: Passwords,
    pub login_limiter: LoginLimiter,
    pub registration: Registration,
    /// `scheme://host[:port]` of the public base URL, for the Origin check.
    pub origin: String,
    pub base_url: url::Url,
    pub sandbox: bool,
    pub trust_proxy: bool,
    pub tokens: TokenService,
    /// Each user's company list, reused while it is current.
    pub listings: Listings,
    /// Send a PKCE challenge with Connect ANAF.
    pub pkce: bool,
}
