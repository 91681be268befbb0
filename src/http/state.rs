//! What every request handler may use, shared by all workers: the services and the settings
//! pages need. Built once by `startup`.

use actix_web::HttpRequest;
use actix_web::http::header;

use crate::config::Registration;
use crate::db::Db;
use crate::domain::Actor;
use crate::services::accounts::Passwords;
use crate::services::accounts::login_limiter::LoginLimiter;
use crate::services::audit::AuditLog;
use crate::services::companies::CompanyService;
use crate::services::tokens::TokenService;

pub struct AppState {
    pub db: Db,
    pub passwords: Passwords,
    /// Registration and the proof of email addresses.
    pub accounts: crate::services::accounts::AccountService,
    pub login_limiter: LoginLimiter,
    pub registration: Registration,
    /// `scheme://host[:port]` of the public base URL, for the Origin check.
    pub origin: String,
    pub base_url: url::Url,
    pub sandbox: bool,
    pub trust_proxy: bool,
    /// How long a request body may take to arrive (`crate::http::read_body`).
    pub request_body_timeout: std::time::Duration,
    pub tokens: TokenService,
    pub companies: CompanyService,
    /// Authorization links for certificate holders without an account.
    pub links: crate::services::links::LinkService,
    pub audit: AuditLog,
    /// Send a PKCE challenge with Connect ANAF.
    pub pkce: bool,
    /// Wakes this instance's refresh engine (new work for it, e.g. a job).
    pub engine_wake: std::sync::Arc<tokio::sync::Notify>,
    /// What `GET /metrics` asks for; `None`: it answers 404.
    pub metrics_token: Option<secrecy::SecretString>,
    /// `ANAF_PORTAL_ANAF_CALLS_PER_MINUTE`, for the lifecycle page.
    pub anaf_calls_per_minute: u32,
    /// Email, when `ANAF_PORTAL_SMTP_URL` is set (the settings page's test email).
    pub mailer: Option<crate::services::notify::mail::Mailer>,
    pub composer: crate::services::notify::mail::MailComposer,
    /// When daily digests go out, Romanian time (the settings page says so).
    pub digest_at: chrono::NaiveTime,
    /// Webhook endpoints: registering, removing, enabling, redelivering.
    pub webhooks: crate::services::webhooks::WebhookService,
}

impl AppState {
    /// Cookies carry `Secure` when the portal is served over https.
    pub fn secure_cookies(&self) -> bool {
        self.base_url.scheme() == "https"
    }

    /// The client's address: the peer, or the proxy's `X-Forwarded-For` when it is trusted.
    pub fn client_ip(&self, req: &HttpRequest) -> String {
        let info = req.connection_info();
        let address = if self.trust_proxy {
            info.realip_remote_addr()
        } else {
            info.peer_addr()
        };
        address.unwrap_or("unknown").to_owned()
    }

    /// Who is acting in this request, for the audit log.
    pub fn actor(&self, req: &HttpRequest, user_id: Option<i64>) -> Actor {
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
