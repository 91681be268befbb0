//! What every request handler may use, shared by all workers: the services and the settings
//! pages need. Built once by `startup`.

use crate::domain::UserId;
use actix_web::HttpRequest;
use actix_web::http::header;

use crate::config::Config;
use crate::db::Db;
use crate::domain::Actor;
use crate::services::accounts::Passwords;
use crate::services::accounts::login_limiter::LoginLimiter;
use crate::services::companies::CompanyService;
use crate::services::tokens::TokenService;

pub struct AppState {
    /// The settings, for what handlers show or obey of them (registration, sandbox, PKCE, the
    /// digest's time, the budget's limit, the metrics token, the body timeout).
    pub config: std::sync::Arc<Config>,
    pub db: Db,
    pub passwords: Passwords,
    /// Registration and the proof of email addresses.
    pub accounts: crate::services::accounts::AccountService,
    pub login_limiter: LoginLimiter,
    /// The public base URL (the configured one, or the listener's address).
    pub base_url: url::Url,
    pub tokens: TokenService,
    pub companies: CompanyService,
    /// Authorization links for certificate holders without an account.
    pub links: crate::services::links::LinkService,
    /// Wakes this instance's refresh engine (new work for it, e.g. a job).
    pub engine_wake: std::sync::Arc<tokio::sync::Notify>,
    /// Email, when `ANAF_PORTAL_SMTP_URL` is set (the settings page's test email).
    pub mailer: Option<crate::services::notify::mail::Mailer>,
    pub composer: crate::services::notify::mail::MailComposer,
    /// Webhook endpoints: registering, removing, enabling, redelivering.
    pub webhooks: crate::services::webhooks::WebhookService,
    /// Second factors, re-authentication and the two-factor policy.
    pub two_factor: crate::services::two_factor::TwoFactorService,
    /// e-Factura through the portal (`/efactura/…`).
    pub gateway: crate::services::gateway::GatewayService,
}

impl AppState {
    /// `scheme://host[:port]` of the public base URL, for the Origin check.
    pub fn origin(&self) -> String {
        self.base_url.origin().ascii_serialization()
    }

    /// Whether the built-in simulator stands in for ANAF.
    pub fn sandbox(&self) -> bool {
        self.config.is_sandbox()
    }

    /// Cookies carry `Secure` when the portal is served over https.
    pub fn secure_cookies(&self) -> bool {
        self.base_url.scheme() == "https"
    }

    /// The client's address: the peer, or the proxy's `X-Forwarded-For` when it is trusted.
    pub fn client_ip(&self, req: &HttpRequest) -> String {
        let info = req.connection_info();
        let address = if self.config.trust_proxy {
            info.realip_remote_addr()
        } else {
            info.peer_addr()
        };
        address.unwrap_or("unknown").to_owned()
    }

    /// Who is acting in this request, for the audit log.
    pub fn actor(&self, req: &HttpRequest, user_id: Option<UserId>) -> Actor {
        Actor {
            user_id,
            ip: Some(self.client_ip(req)),
            user_agent: req
                .headers()
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            api_key_id: None,
        }
    }
}
