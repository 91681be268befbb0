//! The services: what the portal does, each over the database and ANAF, and the only code that
//! writes rows (`db::models`) and audit events. Handlers and jobs call them. `Services::build`
//! assembles them once from the configuration, for the web server and the worker alike.

pub mod accounts;
pub mod audit;
pub mod companies;
pub mod gateway;
pub mod lifecycle;
pub mod links;
pub mod notify;
pub mod tokens;
pub mod two_factor;
pub mod webhooks;

use std::sync::Arc;

/// The clock rows are written with, for the layers above that compare against them.
pub use crate::db::models::now;

use secrecy::ExposeSecret;
use url::Url;

use crate::anaf::budget::AnafBudget;
use crate::anaf::client::{AnafClient, AnafEndpoints};
use crate::anaf::jwt::JwtReader;
use crate::archive::Archive;
use crate::config::Config;
use crate::db::Db;
use crate::secrets::MasterKey;
use crate::services::accounts::login_limiter::LoginLimiter;
use crate::services::accounts::{AccountService, Passwords};
use crate::services::audit::AuditLog;
use crate::services::companies::CompanyService;
use crate::services::gateway::GatewayService;
use crate::services::links::LinkService;
use crate::services::notify::Email;
use crate::services::notify::mail::{MailComposer, Mailer};
use crate::services::tokens::TokenService;
use crate::services::tokens::backoff::Backoff;
use crate::services::tokens::spool::RecoverySpool;
use crate::services::webhooks::{WebhookSender, WebhookService};

/// Where ANAF is for this process (the real one, or the sandbox's simulator behind the public
/// base URL), worked out by `startup` since it depends on the listener.
pub struct AnafWiring {
    pub base_url: Url,
    pub endpoints: AnafEndpoints,
    /// The key ANAF's access tokens are verified with, when there is one.
    pub jwt_key: Option<String>,
}

/// Every service, built once per process.
pub struct Services {
    pub db: Db,
    pub master_key: Arc<MasterKey>,
    pub tokens: TokenService,
    pub passwords: Passwords,
    pub login_limiter: LoginLimiter,
    pub accounts: AccountService,
    pub companies: CompanyService,
    pub links: LinkService,
    pub webhooks: WebhookService,
    /// Second factors, re-authentication and the two-factor policy.
    pub two_factor: crate::services::two_factor::TwoFactorService,
    /// Posts webhook deliveries (the background's side of `webhooks`).
    pub webhook_sender: WebhookSender,
    /// Email, when an SMTP server (or the sandbox's mailbox) is there.
    pub email: Option<Email>,
    pub composer: MailComposer,
    /// Wakes this instance's refresh engine (a job was started here).
    pub engine_wake: Arc<tokio::sync::Notify>,
    /// Wakes this instance's company name lookups (companies were added here).
    pub lookups_wake: Arc<tokio::sync::Notify>,
    /// e-Factura through the portal: ANAF's own paths with a scoped API key.
    pub gateway: GatewayService,
}

impl Services {
    /// Connects and migrates the database, opens the token vault (saving what the recovery
    /// spool holds first) and assembles every service over them.
    pub async fn build(config: &Config, anaf: AnafWiring) -> anyhow::Result<Services> {
        let master_key = MasterKey::from_config(config.secret_key.as_ref(), &config.data_dir)?;
        let db = Db::connect(&config.database_url)?;
        {
            let db = db.clone();
            tokio::task::spawn_blocking(move || db.migrate()).await??;
        }
        Services::over(config, master_key, db, anaf).await
    }

    async fn over(
        config: &Config,
        master_key: MasterKey,
        db: Db,
        anaf: AnafWiring,
    ) -> anyhow::Result<Services> {
        let budget = Arc::new(AnafBudget::new(db.clone(), config.anaf.calls_per_minute));
        let gateway_client = crate::anaf::efactura::EfacturaClient::new(
            anaf.endpoints.api_url.clone(),
            anaf.endpoints.registry_url.clone(),
            config.anaf.timeout.max(std::time::Duration::from_secs(60)),
        )?;
        let tokens = open_tokens(
            config,
            &master_key,
            &db,
            anaf.endpoints,
            anaf.jwt_key,
            budget.clone(),
        )
        .await?;
        let audit = tokens.audit().clone();
        let lookups_wake = Arc::new(tokio::sync::Notify::new());
        let email = email_settings(config, &db)?;
        let relying_party = crate::services::two_factor::passkeys::relying_party(&anaf.base_url);
        let composer = MailComposer::new(anaf.base_url);
        let allow_private = config.notifications.webhook_allow_private;
        let passwords = Passwords::default();
        let login_limiter = LoginLimiter::new(
            config.login_limits.clone(),
            master_key.derive("device-cookie-v1", 32),
        );
        let gateway = GatewayService::new(
            db.clone(),
            tokens.clone(),
            budget,
            gateway_client,
            Archive::open(&config.efactura.archive, db.clone())?,
            config.efactura.limits,
        );
        Ok(Services {
            gateway,
            accounts: AccountService::new(
                db.clone(),
                passwords.clone(),
                login_limiter.clone(),
                email.as_ref().map(|e| e.mailer.clone()),
                composer.clone(),
                audit.clone(),
            ),
            companies: CompanyService::new(db.clone(), audit.clone(), lookups_wake.clone()),
            links: LinkService::new(db.clone(), audit.clone(), tokens.clone()),
            two_factor: crate::services::two_factor::TwoFactorService::new(
                db.clone(),
                tokens.vault().clone(),
                login_limiter.clone(),
                passwords.clone(),
                audit.clone(),
                composer.clone(),
                relying_party,
            ),
            webhooks: WebhookService::new(db.clone(), tokens.vault().clone(), audit, allow_private),
            webhook_sender: WebhookSender::new(db.clone(), tokens.vault().clone(), allow_private)?,
            passwords,
            login_limiter,
            email,
            composer,
            engine_wake: Arc::default(),
            lookups_wake,
            master_key: Arc::new(master_key),
            tokens,
            db,
        })
    }
}

/// Email through the configured SMTP server; in sandbox mode without one, into the sandbox
/// mailbox; otherwise none.
fn email_settings(config: &Config, db: &Db) -> anyhow::Result<Option<Email>> {
    let mailer = match &config.notifications.smtp {
        Some(smtp) => Mailer::new(smtp.url.expose_secret(), &smtp.from)
            .map_err(|problem| anyhow::anyhow!("ANAF_PORTAL_SMTP_URL: {problem}"))?,
        None if config.is_sandbox() => Mailer::sandbox(db.clone()),
        None => return Ok(None),
    };
    Ok(Some(Email {
        mailer,
        digest_at: config.notifications.digest_at,
    }))
}

/// The token service over this configuration's keys and ANAF: pairs left in the recovery spool
/// are saved first, and start-up stops here when a stored token needs a key that is not
/// configured.
async fn open_tokens(
    config: &Config,
    master_key: &MasterKey,
    db: &Db,
    anaf_endpoints: AnafEndpoints,
    jwt_key: Option<String>,
    budget: Arc<AnafBudget>,
) -> anyhow::Result<TokenService> {
    let vault = Arc::new(crate::services::tokens::keys::configured_vault(
        config, master_key,
    )?);
    let tokens = TokenService::new(
        db.clone(),
        vault.clone(),
        Arc::new(AnafClient::new(anaf_endpoints, budget)?),
        Arc::new(JwtReader::new(jwt_key.as_deref())?),
        AuditLog::new(db.clone()),
        RecoverySpool::new(&config.data_dir),
        Backoff::new(config.engine.failing_after),
    )
    .with_refresh_policy(config.engine.policy);
    let recovered = tokens.replay_spool().await?;
    if recovered > 0 {
        tracing::info!(recovered, "saved refreshed pairs from the recovery spool");
    }
    tracing::info!(key_id = %vault.current_key(), "new values are sealed with this key");
    db.run(move |conn| {
        crate::services::tokens::keys::adopt_and_check(conn, &vault)?;
        crate::services::tokens::keys::bind_to_tokens(conn, &vault)?;
        Ok(())
    })
    .await?;
    Ok(tokens)
}
