//! Builds the application from a validated `Config`; `main` and the tests call the same code.

use std::net::TcpListener;
use std::time::Duration;

use actix_session::SessionMiddleware;
use actix_session::config::{BrowserSession, CookieContentSecurity, TtlExtensionPolicy};
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use url::Url;

#[cfg(feature = "sandbox")]
use anaf_simulator::{RegisteredClient, Simulator, SimulatorSettings};

use crate::anaf::client::AnafEndpoints;
use crate::anaf::registry::RegistryClient;
use crate::config::Config;
use crate::db::Db;
use crate::http::auth::session_store::DbSessionStore;
use crate::http::state::AppState;
use crate::http::web::security_headers::CspFormAction;
use crate::jobs::Runner;
use crate::jobs::cleanup::Cleanup;
use crate::jobs::name_lookups::NameLookups;
use crate::jobs::notify::Notifications;
use crate::jobs::refresh::RefreshEngine;
use crate::jobs::spool_replay::SpoolReplay;
use crate::services::notify::Notifier;
use crate::services::tokens::TokenService;
use crate::services::{AnafWiring, Services};

pub struct Application {
    db: Db,
    tokens: TokenService,
    /// The spool replay and the cleanup, and the refresh engine, the notifier and the company
    /// name lookups unless this instance is web-only (`ANAF_PORTAL_WORKER=off`).
    background: Runner,
    port: u16,
    base_url: Url,
    server: Server,
}

impl Application {
    /// Connects and migrates the database, binds the listener and assembles the server.
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        install_crypto_provider();
        let listener = TcpListener::bind(config.bind).map_err(|e| {
            anyhow::anyhow!("ANAF_PORTAL_BIND: cannot listen on {}: {e}", config.bind)
        })?;
        let local = listener.local_addr()?;
        let base_url = match &config.base_url {
            Some(url) => url.clone(),
            None => Url::parse(&format!("http://{local}"))?,
        };
        let secure_cookies = base_url.scheme() == "https";

        let (endpoints, jwt_key, simulator) = anaf_wiring(&config, &base_url, local)?;
        let services = Services::build(
            &config,
            AnafWiring {
                base_url: base_url.clone(),
                endpoints,
                jwt_key,
            },
        )
        .await?;
        let cookie_key = Key::from(
            services
                .master_key
                .derive("session-cookie-v1", 64)
                .expose_secret(),
        );
        crate::metrics::install();
        let db = services.db.clone();
        let tokens = services.tokens.clone();
        let background = background(
            &config,
            &services,
            Parts {
                engine: config.engine.enabled,
                cleanup: true,
            },
        )?;
        let state = web::Data::new(AppState {
            config: Arc::new(config.clone()),
            db: db.clone(),
            passwords: services.passwords,
            accounts: services.accounts,
            login_limiter: services.login_limiter,
            base_url: base_url.clone(),
            tokens: tokens.clone(),
            companies: services.companies,
            links: services.links,
            engine_wake: services.engine_wake,
            mailer: services.email.map(|e| e.mailer),
            composer: services.composer,
            webhooks: services.webhooks,
            two_factor: services.two_factor,
            gateway: services.gateway,
        });
        let form_action = web::Data::new(CspFormAction(csp_form_action(&config)));
        let api_context = web::Data::new(crate::http::api::ApiContext::new(config.api_rate_limit));
        let session_store = DbSessionStore::new(
            db.clone(),
            config.session.absolute_timeout,
            config.session.idle_timeout,
        );
        let idle = actix_web::cookie::time::Duration::seconds(
            config
                .session
                .idle_timeout
                .as_secs()
                .try_into()
                .unwrap_or(i64::MAX),
        );
        let cookie_name = if secure_cookies {
            "__Host-anaf_portal_session"
        } else {
            "anaf_portal_session"
        };

        let server = HttpServer::new(move || {
            let sessions = SessionMiddleware::builder(session_store.clone(), cookie_key.clone())
                .cookie_name(cookie_name.to_owned())
                .cookie_secure(secure_cookies)
                .cookie_http_only(true)
                .cookie_same_site(SameSite::Lax)
                .cookie_path("/".to_owned())
                .cookie_content_security(CookieContentSecurity::Private)
                .session_lifecycle(
                    BrowserSession::default()
                        .state_ttl(idle)
                        .state_ttl_extension_policy(TtlExtensionPolicy::OnStateChanges),
                )
                .build();
            let app = App::new()
                .app_data(state.clone())
                .app_data(form_action.clone())
                .app_data(api_context.clone());
            // Mounted in sandbox mode only: with real credentials it does not exist. The
            // simulator speaks ANAF's formats; none of the portal's middleware wraps it.
            #[cfg(feature = "sandbox")]
            let app = app.configure(|cfg| {
                if let Some(simulator) = &simulator {
                    cfg.service(web::scope("/sandbox/anaf").configure(|c| simulator.configure(c)));
                }
            });
            app.configure(crate::http::api::routes)
                .configure(crate::http::gateway::routes)
                .configure(crate::http::web::routes_outside_sessions)
                .service(
                    web::scope("")
                        .app_data(
                            web::FormConfig::default()
                                .limit(crate::MAX_BODY_BYTES)
                                .error_handler(|e, _| {
                                    crate::http::error::AppError::BadRequest(format!(
                                        "malformed form: {e}"
                                    ))
                                    .into()
                                }),
                        )
                        .configure(crate::http::web::routes)
                        .default_service(web::to(crate::http::web::not_found))
                        // Outermost last: errors are rendered after CSRF and sessions have had
                        // their say.
                        .wrap(from_fn(crate::http::auth::guards::step_up))
                        .wrap(from_fn(crate::http::auth::guards::require_enrolment))
                        .wrap(from_fn(
                            crate::http::auth::current_user::support_is_read_only,
                        ))
                        .wrap(from_fn(crate::http::auth::csrf::protect))
                        .wrap(sessions)
                        .wrap(from_fn(crate::http::web::errors::render)),
                )
                .wrap(from_fn(crate::http::web::security_headers::add))
                .wrap(from_fn(crate::telemetry::log_requests))
        })
        .listen(listener)?
        .shutdown_timeout(10)
        // SIGTERM and Ctrl-C are ours (`run_until_stopped`): actix's own handling would stop
        // the whole runtime with the server, and refreshes in flight with it.
        .disable_signals()
        .run();

        tracing::info!(
            address = %local,
            base_url = %base_url,
            database = config.database_url.backend_name(),
            sandbox = config.is_sandbox(),
            "anaf-portal listening"
        );
        Ok(Application {
            db,
            tokens,
            background,
            port: local.port(),
            base_url,
            server,
        })
    }

    /// The application's pool (tests read its query counter).
    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// Serves (and runs the refresh engine) until SIGTERM or Ctrl-C: then stops taking requests
    /// and claiming tokens, lets requests in flight finish (10 s at most), and waits for
    /// refreshes in flight (their own timeout at most), so that no pair ANAF has issued is
    /// dropped on the floor.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let (stop_engine, engine_stops) = tokio::sync::watch::channel(false);
        let running = tokio::spawn(self.background.run(engine_stops));
        let handle = self.server.handle();
        let mut server = self.server;
        let served = tokio::select! {
            served = &mut server => served,
            () = stop_requested() => {
                tracing::info!("stopping: no new requests; finishing those in flight");
                let _ = stop_engine.send(true);
                // The server future carries out the stop: poll both.
                let ((), served) = tokio::join!(handle.stop(true), server);
                served
            }
        };
        let _ = stop_engine.send(true);
        let _ = running.await;
        let longest = self.tokens.anaf().endpoints().refresh_timeout;
        self.tokens.drain(longest + Duration::from_secs(5)).await;
        tracing::info!("stopped");
        served
    }
}

/// Which parts of the background work an instance runs.
struct Parts {
    /// The refresh engine, the notifier and the company name lookups.
    engine: bool,
    /// Deleting what has run out (sessions and the like: the web server's).
    cleanup: bool,
}

/// An instance's background work: the jobs handed to the runner, which drives them all and,
/// on shutdown, lets each finish its round. A new job is one file in `src/jobs/` and one line
/// here.
fn background(config: &Config, services: &Services, parts: Parts) -> anyhow::Result<Runner> {
    let mut runner = Runner::new(services.db.clone());
    let tick = config.engine.tick;
    runner.add(SpoolReplay::new(services.tokens.clone()));
    if parts.cleanup {
        runner.add(Cleanup::new(
            services.db.clone(),
            config.session.absolute_timeout,
            config.login_limits.window,
        ));
    }
    if parts.engine {
        let tokens = &services.tokens;
        let registry =
            RegistryClient::new(&tokens.anaf().endpoints().registry_url, config.anaf.timeout)?;
        runner.add(Notifications::new(
            Notifier::new(
                services.db.clone(),
                services.composer.clone(),
                services.email.clone(),
                services.webhook_sender.clone(),
            ),
            tick,
        ));
        runner.add(NameLookups::new(
            services.db.clone(),
            registry,
            tick,
            services.lookups_wake.clone(),
        ));
        runner.add(RefreshEngine::new(
            tokens.clone(),
            tick,
            services.engine_wake.clone(),
        ));
    }
    Ok(runner)
}

/// The refresh engine without the web server (`anaf-portal worker`).
pub struct Worker {
    tokens: TokenService,
    background: Runner,
}

impl Worker {
    /// Connects and migrates the database and prepares the engine. Needs real ANAF credentials:
    /// the sandbox's simulator lives in the web server.
    pub async fn build(config: Config) -> anyhow::Result<Worker> {
        install_crypto_provider();
        if config.is_sandbox() {
            anyhow::bail!(
                "ANAF_CLIENT_ID: `anaf-portal worker` needs ANAF credentials; in sandbox mode the \
                 simulator lives in the web server, whose own engine refreshes (anaf-portal serve)"
            );
        }
        let base_url = match &config.base_url {
            Some(url) => url.clone(),
            None => Url::parse(&format!("http://{}", config.bind))?,
        };
        let (endpoints, jwt_key, _) = anaf_wiring(&config, &base_url, config.bind)?;
        let services = Services::build(
            &config,
            AnafWiring {
                base_url,
                endpoints,
                jwt_key,
            },
        )
        .await?;
        let background = background(
            &config,
            &services,
            Parts {
                engine: true,
                cleanup: false,
            },
        )?;
        let tokens = services.tokens;
        Ok(Worker { tokens, background })
    }

    /// Runs the engine until SIGTERM or Ctrl-C, then waits for refreshes in flight.
    pub async fn run_until_stopped(self) {
        let (stop, stops) = tokio::sync::watch::channel(false);
        let running = tokio::spawn(self.background.run(stops));
        stop_requested().await;
        tracing::info!("stopping: no new claims; finishing refreshes in flight");
        let _ = stop.send(true);
        let _ = running.await;
        let longest = self.tokens.anaf().endpoints().refresh_timeout;
        self.tokens.drain(longest + Duration::from_secs(5)).await;
        tracing::info!("stopped");
    }
}

/// SIGTERM (a service manager) or SIGINT (Ctrl-C).
async fn stop_requested() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "SIGTERM cannot be handled; only Ctrl-C stops gracefully");
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

/// Where the ANAF client goes: the real ANAF, or the in-process simulator in sandbox mode (reached
/// by the browser through the public base URL, by the server through the loopback address).
fn anaf_wiring(
    config: &Config,
    base_url: &Url,
    local: std::net::SocketAddr,
) -> anyhow::Result<(AnafEndpoints, Option<String>, Option<Sandbox>)> {
    let redirect_uri = match &config.anaf.redirect_uri {
        Some(uri) => uri.clone(),
        None => base_url.join("anaf/callback")?,
    };
    let common =
        |client_id: String, client_secret, browser: Url, server: Url, api: Url, registry: Url| {
            AnafEndpoints {
                browser_oauth_url: browser,
                server_oauth_url: server,
                api_url: api,
                // Set explicitly, it wins even in sandbox mode (a test's standalone simulator).
                registry_url: config.anaf.registry_url.clone().unwrap_or(registry),
                client_id,
                client_secret,
                redirect_uri: redirect_uri.clone(),
                issuer: config.anaf.issuer.clone(),
                scope: config.anaf.scope.clone(),
                refresh_timeout: config.anaf.refresh_timeout,
                environment: config.anaf.environment,
                pkce: config.anaf.pkce,
                timeout: config.anaf.timeout,
            }
        };
    match &config.anaf.credentials {
        Some(credentials) => Ok((
            common(
                credentials.client_id.clone(),
                credentials.client_secret.clone(),
                config.anaf.oauth_url.clone(),
                config.anaf.oauth_url.clone(),
                config.anaf.api_url.clone(),
                Url::parse(crate::config::REGISTRY_URL)?,
            ),
            config.anaf.jwt_public_key_pem.clone(),
            None,
        )),
        #[cfg(not(feature = "sandbox"))]
        None => anyhow::bail!("ANAF_CLIENT_ID: is required (this build has no sandbox simulator)"),
        #[cfg(feature = "sandbox")]
        None => {
            let client_secret = crate::secrets::random_token(24);
            let simulator = Simulator::new(SimulatorSettings {
                clients: vec![RegisteredClient {
                    client_id: SANDBOX_CLIENT_ID.to_owned(),
                    client_secret: client_secret.clone(),
                    redirect_uri: redirect_uri.to_string(),
                }],
                ..SimulatorSettings::default()
            })?;
            let loopback = std::net::SocketAddr::new(
                if local.ip().is_unspecified() {
                    std::net::Ipv4Addr::LOCALHOST.into()
                } else {
                    local.ip()
                },
                local.port(),
            );
            let server_base = Url::parse(&format!("http://{loopback}/sandbox/anaf/"))?;
            let browser_base = base_url.join("sandbox/anaf/")?;
            Ok((
                common(
                    SANDBOX_CLIENT_ID.to_owned(),
                    SecretString::from(client_secret),
                    browser_base.join("anaf-oauth2/v1")?,
                    server_base.join("anaf-oauth2/v1")?,
                    server_base.clone(),
                    server_base,
                ),
                // In the sandbox the simulator's signatures are always verified.
                Some(simulator.public_key_pem()),
                Some(simulator),
            ))
        }
    }
}

/// What serves ANAF's paths in sandbox mode.
#[cfg(feature = "sandbox")]
type Sandbox = Simulator;
#[cfg(not(feature = "sandbox"))]
type Sandbox = std::convert::Infallible;

/// The OAuth client the built-in simulator registers for the portal in sandbox mode.
pub const SANDBOX_CLIENT_ID: &str = "anaf-portal-sandbox";

/// reqwest is built without a bundled provider; ring is ours (no OpenSSL, no aws-lc build).
pub fn install_crypto_provider() {
    // Fails only when a provider is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn csp_form_action(config: &Config) -> String {
    if config.is_sandbox() {
        "'self'".to_owned()
    } else {
        format!(
            "'self' {}",
            config.anaf.oauth_url.origin().ascii_serialization()
        )
    }
}
