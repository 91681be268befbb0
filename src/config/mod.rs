//! Every setting: its environment variable, its default and its validation.
//!
//! Each setting is written once: a field of `ServeArgs` with its flag, its variable (`env`), its
//! default and its parser (`mod parse`). A refused value is reported as one line naming the
//! variable (`refused_setting`); `Config::from_args` checks what involves two settings and
//! assembles the typed configuration. docs/settings.md is checked against `documented_settings`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use chrono::{NaiveTime, TimeDelta};
use clap::Args;
use secrecy::SecretString;
use url::Url;

use crate::anaf::client::EfacturaEnvironment;
use crate::db::DatabaseUrl;
use crate::domain::RefreshPolicy;

#[derive(clap::Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address and port the portal listens on.
    #[arg(long, env = "ANAF_PORTAL_BIND", default_value = "127.0.0.1:8080", value_parser = parse::socket_addr)]
    pub bind: SocketAddr,

    /// Public URL of the portal (used for cookies, redirects and the OAuth callback).
    /// Default: http://<bind address>.
    #[arg(long, env = "ANAF_PORTAL_BASE_URL", value_parser = parse::http_url)]
    pub base_url: Option<Url>,

    /// Directory for the default SQLite database and the generated sandbox secret key.
    #[arg(long, env = "ANAF_PORTAL_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Database: a SQLite file path (or sqlite://path) or postgres://user:pass@host/db.
    /// Default: <data dir>/anaf-portal.sqlite3.
    #[arg(long, env = "DATABASE_URL", value_parser = parse::database_url)]
    pub database_url: Option<DatabaseUrl>,

    /// Master key for encrypting tokens and cookies: at least 32 bytes, base64 or hex.
    /// Generated into the data directory when absent in sandbox mode; required otherwise.
    #[arg(long, env = "ANAF_PORTAL_SECRET_KEY", hide_env_values = true, value_parser = parse::master_key)]
    pub secret_key: Option<SecretString>,

    /// Earlier master keys, comma-separated: tokens sealed under them still open after a rotation
    /// (`anaf-portal rotate-keys` re-seals them all under the current key).
    #[arg(long, env = "ANAF_PORTAL_PREVIOUS_SECRET_KEYS", hide_env_values = true, value_parser = parse::previous_keys)]
    pub previous_secret_keys: Option<PreviousKeys>,

    /// Whether anyone may register (`open`) or accounts come only from `user create` (`closed`).
    #[arg(long, env = "ANAF_PORTAL_REGISTRATION", default_value = "open", value_parser = parse::registration)]
    pub registration: Registration,

    /// A session ends after this long without a request (e.g. 30m, 1h, 90s).
    #[arg(long, env = "ANAF_PORTAL_SESSION_IDLE_TIMEOUT", default_value = "30m", value_parser = parse::duration)]
    pub session_idle_timeout: Duration,

    /// A session ends this long after login, however active (e.g. 12h).
    #[arg(
        long,
        env = "ANAF_PORTAL_SESSION_ABSOLUTE_TIMEOUT",
        default_value = "12h"
    , value_parser = parse::duration)]
    pub session_absolute_timeout: Duration,

    /// Failed logins allowed per IP address and per account within the window.
    #[arg(long, env = "ANAF_PORTAL_LOGIN_MAX_FAILURES", default_value = "10", value_parser = parse::positive)]
    pub login_max_failures: u32,

    /// The window over which failed logins are counted; a locked account unlocks when it passes.
    #[arg(long, env = "ANAF_PORTAL_LOGIN_FAILURE_WINDOW", default_value = "15m", value_parser = parse::duration)]
    pub login_failure_window: Duration,

    /// Run the refresh engine in this instance (`off`: a web-only instance; `anaf-portal worker`
    /// runs the engine without the web server).
    #[arg(long, env = "ANAF_PORTAL_WORKER", default_value = "on", value_parser = parse::switch, action = clap::ArgAction::Set)]
    pub worker: bool,

    /// How often the refresh engine looks for tokens due for a refresh.
    #[arg(long, env = "ANAF_PORTAL_SCHEDULER_TICK", default_value = "60s", value_parser = parse::duration)]
    pub scheduler_tick: Duration,

    /// A token falls due for a refresh this long before its access token expires (at most; a
    /// fifth of a short token's life), and "reconnect before" shows this long before a date only
    /// a reconnect can move.
    #[arg(long, env = "ANAF_PORTAL_REFRESH_AHEAD", default_value = "14d", value_parser = parse::duration)]
    pub refresh_ahead: Duration,

    /// After failing this long (timeouts, 5xx, 429), a token is flagged "refresh failing" and
    /// tried twice a day.
    #[arg(long, env = "ANAF_PORTAL_REFRESH_FAILING_AFTER", default_value = "4d", value_parser = parse::duration)]
    pub refresh_failing_after: Duration,

    /// SMTP server for email notifications: smtps://user:pass@host (TLS),
    /// smtp://user:pass@host:587?tls=required (STARTTLS), smtp://host:25 (plain: a relay on the
    /// same network). Unset: no email.
    #[arg(long, env = "ANAF_PORTAL_SMTP_URL", hide_env_values = true, value_parser = parse::optional_smtp_url)]
    pub smtp_url: Option<Blankable<SecretString>>,

    /// The sender of notification email, e.g. "ANAF Portal <portal@example.ro>".
    #[arg(long, env = "ANAF_PORTAL_MAIL_FROM", value_parser = parse::optional_mailbox)]
    pub mail_from: Option<Blankable<String>>,

    /// When daily digests go out, Romanian time (HH:MM).
    #[arg(long, env = "ANAF_PORTAL_DIGEST_AT", default_value = "07:00", value_parser = parse::time_of_day)]
    pub digest_at: NaiveTime,

    /// Allow webhook URLs that resolve to loopback, private or link-local addresses (tests and
    /// on-premises receivers).
    #[arg(
        long,
        env = "ANAF_PORTAL_WEBHOOK_ALLOW_PRIVATE",
        default_value = "false"
    , value_parser = parse::switch, action = clap::ArgAction::Set)]
    pub webhook_allow_private: bool,

    /// How long a request's body may take to arrive once its headers have (answered 408 after).
    #[arg(long, env = "ANAF_PORTAL_REQUEST_BODY_TIMEOUT", default_value = "15s", value_parser = parse::duration)]
    pub request_body_timeout: Duration,

    /// Take the client address from X-Forwarded-For (only behind a reverse proxy you control).
    #[arg(long, env = "ANAF_PORTAL_TRUST_PROXY", default_value = "false", value_parser = parse::switch, action = clap::ArgAction::Set)]
    pub trust_proxy: bool,

    /// OAuth client id registered at ANAF. Absent: sandbox mode with the built-in ANAF simulator.
    #[arg(long, env = "ANAF_CLIENT_ID", value_parser = parse::optional_text)]
    pub anaf_client_id: Option<Blankable<String>>,

    /// OAuth client secret registered at ANAF (required with ANAF_CLIENT_ID).
    #[arg(long, env = "ANAF_CLIENT_SECRET", hide_env_values = true, value_parser = parse::optional_secret)]
    pub anaf_client_secret: Option<Blankable<SecretString>>,

    /// Callback URL registered at ANAF. Default: <base URL>/anaf/callback.
    #[arg(long, env = "ANAF_REDIRECT_URI", value_parser = parse::http_url)]
    pub anaf_redirect_uri: Option<Url>,

    /// ANAF OAuth server.
    #[arg(
        long,
        env = "ANAF_OAUTH_URL",
        default_value = "https://logincert.anaf.ro/anaf-oauth2/v1"
    , value_parser = parse::http_url)]
    pub anaf_oauth_url: Url,

    /// The OAuth server's issuer identifier: a Connect ANAF answer that names another (`iss`,
    /// RFC 9207) is refused.
    #[arg(
        long,
        env = "ANAF_OAUTH_ISSUER",
        default_value = "https://logincert.anaf.ro"
    , value_parser = parse::text)]
    pub anaf_oauth_issuer: String,

    /// A `scope` to ask for on Connect ANAF (ANAF needs none; a standard OAuth server may).
    #[arg(long, env = "ANAF_OAUTH_SCOPE", value_parser = parse::optional_text)]
    pub anaf_oauth_scope: Option<Blankable<String>>,

    /// How long a refresh waits for ANAF's answer (the person's page stops waiting after
    /// ANAF_HTTP_TIMEOUT; the refresh goes on and its answer is saved).
    #[arg(long, env = "ANAF_PORTAL_REFRESH_TIMEOUT", default_value = "60s", value_parser = parse::duration)]
    pub refresh_timeout: Duration,

    /// Calls to ANAF per minute for the whole portal, all instances together, the e-Factura
    /// gateway's included (ANAF allows 1,000; lower it when integrators also call ANAF
    /// themselves with the same application).
    #[arg(long, env = "ANAF_PORTAL_ANAF_CALLS_PER_MINUTE", default_value = "1000", value_parser = parse::positive)]
    pub anaf_calls_per_minute: u32,

    /// ANAF API server (the hello service and e-Factura).
    #[arg(long, env = "ANAF_API_URL", default_value = "https://api.anaf.ro", value_parser = parse::http_url)]
    pub anaf_api_url: Url,

    /// ANAF's public company registry (company names and addresses from a CIF). Default:
    /// https://webservicesp.anaf.ro; in sandbox mode, the built-in simulator.
    #[arg(long, env = "ANAF_REGISTRY_URL", value_parser = parse::optional_http_url)]
    pub anaf_registry_url: Option<Blankable<Url>>,

    /// e-Factura environment the SPV rights probe asks: `test` or `prod`.
    #[arg(long, env = "ANAF_EFACTURA_ENVIRONMENT", default_value = "prod", value_parser = parse::environment)]
    pub anaf_efactura_environment: EfacturaEnvironment,

    /// ANAF's RS512 public key (PEM text or a file path): token signatures are verified when set.
    #[arg(long, env = "ANAF_JWT_PUBLIC_KEY", value_parser = parse::public_key)]
    pub anaf_jwt_public_key: Option<String>,

    /// Send a PKCE S256 challenge with Connect ANAF (ANAF does not document PKCE).
    #[arg(long, env = "ANAF_OAUTH_PKCE", default_value = "false", value_parser = parse::switch, action = clap::ArgAction::Set)]
    pub anaf_oauth_pkce: bool,

    /// How long a call to ANAF may take before it counts as failed.
    #[arg(long, env = "ANAF_HTTP_TIMEOUT", default_value = "15s", value_parser = parse::duration)]
    pub anaf_http_timeout: Duration,

    /// The bearer token `GET /metrics` asks for (at least 16 characters); unset, `/metrics`
    /// answers 404.
    #[arg(long, env = "ANAF_PORTAL_METRICS_TOKEN", hide_env_values = true, value_parser = parse::metrics_token)]
    pub metrics_token: Option<SecretString>,

    /// Requests each API key may make: `N` per minute, or `N/second`, `N/minute`, `N/hour`.
    #[arg(long, env = "ANAF_PORTAL_API_RATE_LIMIT", default_value = "600/minute", value_parser = parse::rate_limit)]
    pub api_rate_limit: ApiRateLimit,

    #[command(flatten)]
    pub efactura: EfacturaArgs,
}

mod efactura;
pub use efactura::{ArchiveStorage, EfacturaArgs, EfacturaLimits, EfacturaSettings};

/// Whether anyone can open an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registration {
    Open,
    Closed,
}

/// The client credentials registered at ANAF; without them the portal runs in sandbox mode.
#[derive(Debug, Clone)]
pub struct AnafCredentials {
    pub client_id: String,
    pub client_secret: SecretString,
}

/// How to reach ANAF. In sandbox mode the URLs are replaced by the built-in simulator's.
#[derive(Debug, Clone)]
pub struct AnafSettings {
    pub credentials: Option<AnafCredentials>,
    pub redirect_uri: Option<Url>,
    pub oauth_url: Url,
    pub issuer: String,
    pub scope: Option<String>,
    pub refresh_timeout: Duration,
    pub api_url: Url,
    /// `None`: ANAF's own (`REGISTRY_URL`), or the simulator in sandbox mode.
    pub registry_url: Option<Url>,
    pub environment: EfacturaEnvironment,
    pub jwt_public_key_pem: Option<String>,
    pub pkce: bool,
    pub timeout: Duration,
    pub calls_per_minute: u32,
}

#[derive(Debug, Clone)]
pub struct SessionSettings {
    pub idle_timeout: Duration,
    pub absolute_timeout: Duration,
}

/// How many API requests one key may make per period (a token bucket that refills evenly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiRateLimit {
    pub requests: u32,
    pub period: Duration,
}

#[derive(Debug, Clone)]
pub struct LoginLimits {
    pub max_failures: u32,
    pub window: Duration,
}

/// The refresh engine's settings.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// Whether this instance runs the engine.
    pub enabled: bool,
    pub tick: Duration,
    pub failing_after: Duration,
    pub policy: RefreshPolicy,
}

/// The validated configuration the application is built from.
#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub base_url: Option<Url>,
    pub data_dir: PathBuf,
    pub database_url: DatabaseUrl,
    pub secret_key: Option<SecretString>,
    pub previous_secret_keys: Vec<SecretString>,
    pub registration: Registration,
    pub session: SessionSettings,
    pub login_limits: LoginLimits,
    pub trust_proxy: bool,
    pub request_body_timeout: Duration,
    pub engine: EngineSettings,
    pub anaf: AnafSettings,
    pub api_rate_limit: ApiRateLimit,
    pub metrics_token: Option<SecretString>,
    pub notifications: NotificationSettings,
    pub efactura: EfacturaSettings,
}

/// Email and webhooks.
#[derive(Debug, Clone)]
pub struct NotificationSettings {
    /// `None`: email is off.
    pub smtp: Option<SmtpSettings>,
    pub digest_at: chrono::NaiveTime,
    pub webhook_allow_private: bool,
}

#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub url: SecretString,
    pub from: String,
}

/// A setting that cannot be used, reported as one line: `VARIABLE: what is wrong`.
#[derive(Debug, thiserror::Error)]
#[error("{variable}: {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

/// The error for the `ServeArgs` field `id`.
fn invalid(id: &str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        variable: variable(id),
        problem: problem.into(),
    }
}

impl Config {
    /// Checks what no single setting can check alone (each was parsed by its own parser when the
    /// command line was read) and assembles the configuration.
    pub fn from_args(args: ServeArgs) -> Result<Config, ConfigError> {
        let anaf = anaf_settings(&args)?;
        let database_url = args
            .database_url
            .unwrap_or_else(|| DatabaseUrl::Sqlite(args.data_dir.join("anaf-portal.sqlite3")));
        let session = SessionSettings {
            idle_timeout: args.session_idle_timeout,
            absolute_timeout: args.session_absolute_timeout,
        };
        if session.absolute_timeout < session.idle_timeout {
            return Err(invalid(
                "session_absolute_timeout",
                format!(
                    "must not be shorter than {}",
                    variable("session_idle_timeout")
                ),
            ));
        }
        let previous_secret_keys = args.previous_secret_keys.map(|k| k.0).unwrap_or_default();
        if !previous_secret_keys.is_empty() && args.secret_key.is_none() {
            return Err(invalid(
                "previous_secret_keys",
                format!("needs {}, the current key", variable("secret_key")),
            ));
        }
        if anaf.credentials.is_some() && args.secret_key.is_none() {
            return Err(invalid(
                "secret_key",
                format!(
                    "is required when {} is set (generate one with: openssl rand -base64 32)",
                    variable("anaf_client_id")
                ),
            ));
        }
        let smtp = match (unblank(&args.smtp_url), unblank(&args.mail_from)) {
            (None, _) => None,
            (Some(url), Some(from)) => Some(SmtpSettings { url, from }),
            (Some(_), None) => {
                return Err(invalid(
                    "mail_from",
                    format!(
                        "is required with {} (e.g. \"ANAF Portal <portal@example.ro>\")",
                        variable("smtp_url")
                    ),
                ));
            }
        };
        let efactura = args.efactura.settings(&args.data_dir)?;
        Ok(Config {
            efactura,
            bind: args.bind,
            base_url: args.base_url,
            data_dir: args.data_dir,
            database_url,
            secret_key: args.secret_key,
            previous_secret_keys,
            registration: args.registration,
            session,
            login_limits: LoginLimits {
                max_failures: args.login_max_failures,
                window: args.login_failure_window,
            },
            trust_proxy: args.trust_proxy,
            request_body_timeout: args.request_body_timeout,
            engine: EngineSettings {
                enabled: args.worker,
                tick: args.scheduler_tick,
                failing_after: args.refresh_failing_after,
                policy: RefreshPolicy {
                    ahead: TimeDelta::from_std(args.refresh_ahead)
                        .map_err(|_| invalid("refresh_ahead", "too long"))?,
                },
            },
            anaf,
            api_rate_limit: args.api_rate_limit,
            metrics_token: args.metrics_token,
            notifications: NotificationSettings {
                smtp,
                digest_at: args.digest_at,
                webhook_allow_private: args.webhook_allow_private,
            },
        })
    }

    pub fn is_sandbox(&self) -> bool {
        self.anaf.credentials.is_none()
    }
}

fn anaf_settings(args: &ServeArgs) -> Result<AnafSettings, ConfigError> {
    let credentials = match (
        unblank(&args.anaf_client_id),
        unblank(&args.anaf_client_secret),
    ) {
        (None, Some(_)) => {
            return Err(invalid(
                "anaf_client_id",
                format!("is missing while {} is set", variable("anaf_client_secret")),
            ));
        }
        #[cfg(feature = "sandbox")]
        (None, None) => None,
        #[cfg(not(feature = "sandbox"))]
        (None, None) => {
            return Err(invalid(
                "anaf_client_id",
                "is required: this build has no sandbox simulator (built without the `sandbox` feature)",
            ));
        }
        (Some(_), None) => {
            return Err(invalid(
                "anaf_client_secret",
                format!("is required when {} is set", variable("anaf_client_id")),
            ));
        }
        (Some(client_id), Some(client_secret)) => Some(AnafCredentials {
            client_id,
            client_secret,
        }),
    };
    Ok(AnafSettings {
        credentials,
        redirect_uri: args.anaf_redirect_uri.clone(),
        oauth_url: args.anaf_oauth_url.clone(),
        issuer: args.anaf_oauth_issuer.clone(),
        scope: unblank(&args.anaf_oauth_scope),
        refresh_timeout: args.refresh_timeout,
        api_url: args.anaf_api_url.clone(),
        registry_url: unblank(&args.anaf_registry_url),
        environment: args.anaf_efactura_environment,
        jwt_public_key_pem: args.anaf_jwt_public_key.clone(),
        pkce: args.anaf_oauth_pkce,
        timeout: args.anaf_http_timeout,
        calls_per_minute: args.anaf_calls_per_minute,
    })
}

/// ANAF's public company registry.
pub const REGISTRY_URL: &str = "https://webservicesp.anaf.ro";

/// An optional setting whose variable may also be present but blank (`VAR=`): both mean unset.
#[derive(Debug, Clone)]
pub struct Blankable<T>(pub Option<T>);

/// The value of an optional setting, blank or absent alike as `None`.
fn unblank<T: Clone>(setting: &Option<Blankable<T>>) -> Option<T> {
    setting.as_ref().and_then(|s| s.0.clone())
}

/// The earlier master keys (`ANAF_PORTAL_PREVIOUS_SECRET_KEYS`), each checked to be a key.
#[derive(Clone)]
pub struct PreviousKeys(pub Vec<SecretString>);

impl std::fmt::Debug for PreviousKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PreviousKeys({} keys)", self.0.len())
    }
}

/// Every setting of `ServeArgs`, as clap knows it: where each variable name is read from, so
/// it is written once, in the field's `env = "…"`.
fn settings() -> &'static clap::Command {
    static SETTINGS: OnceLock<clap::Command> = OnceLock::new();
    SETTINGS.get_or_init(|| ServeArgs::augment_args(clap::Command::new("settings")))
}

/// The environment variable of the `ServeArgs` field `id`.
pub fn variable(id: &str) -> &'static str {
    settings()
        .get_arguments()
        .find(|arg| arg.get_id() == id)
        .and_then(|arg| arg.get_env())
        .and_then(|env| env.to_str())
        .unwrap_or_else(|| panic!("ServeArgs has no setting `{id}` with a variable"))
}

/// Every setting: its variable, its default (as written) and its help text, in declaration order
/// (docs/settings.md is checked against this).
pub fn documented_settings() -> Vec<(&'static str, Option<&'static str>, String)> {
    settings()
        .get_arguments()
        .filter_map(|arg| {
            let env = arg.get_env()?.to_str()?;
            let default = arg.get_default_values().first().and_then(|d| d.to_str());
            let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            Some((env, default, help))
        })
        .collect()
}

/// A setting's value that its parser refused, as the one line `VARIABLE: what is wrong`
/// (clap's own message names the flag, not the variable people set).
pub fn refused_setting(error: &clap::Error) -> Option<ConfigError> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if error.kind() != ErrorKind::ValueValidation {
        return None;
    }
    let Some(ContextValue::String(arg)) = error.get(ContextKind::InvalidArg) else {
        return None;
    };
    let long = arg.strip_prefix("--")?.split([' ', '=']).next()?;
    let setting = settings()
        .get_arguments()
        .find(|a| a.get_long() == Some(long))?;
    let variable = setting.get_env()?.to_str()?;
    let problem = std::error::Error::source(error)?.to_string();
    Some(ConfigError { variable, problem })
}

/// The value parsers of `ServeArgs`: each turns what was written into a typed value or says
/// what is wrong (without echoing a secret); `refused_setting` puts the variable in front.
mod parse {
    use std::net::SocketAddr;
    use std::time::Duration;

    use chrono::NaiveTime;
    use secrecy::SecretString;
    use url::Url;

    use super::{ApiRateLimit, Blankable, PreviousKeys, Registration};
    use crate::anaf::client::EfacturaEnvironment;
    use crate::db::DatabaseUrl;
    use crate::secrets::MasterKey;

    pub fn socket_addr(raw: &str) -> Result<SocketAddr, String> {
        raw.trim()
            .parse()
            .map_err(|_| format!("'{raw}' is not an address like 127.0.0.1:8080"))
    }

    pub fn database_url(raw: &str) -> Result<DatabaseUrl, String> {
        DatabaseUrl::parse(raw)
    }

    pub fn master_key(raw: &str) -> Result<SecretString, String> {
        MasterKey::parse(raw)?;
        Ok(SecretString::from(raw.to_owned()))
    }

    pub fn previous_keys(raw: &str) -> Result<PreviousKeys, String> {
        raw.split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(|k| {
                MasterKey::parse(k)
                    .map(|_| SecretString::from(k.to_owned()))
                    .map_err(|e| format!("a key {e}"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(PreviousKeys)
    }

    pub fn registration(raw: &str) -> Result<Registration, String> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "open" => Ok(Registration::Open),
            "closed" => Ok(Registration::Closed),
            other => Err(format!("'{other}' is neither 'open' nor 'closed'")),
        }
    }

    pub fn environment(raw: &str) -> Result<EfacturaEnvironment, String> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "test" => Ok(EfacturaEnvironment::Test),
            "prod" => Ok(EfacturaEnvironment::Prod),
            other => Err(format!("'{other}' is neither 'test' nor 'prod'")),
        }
    }

    /// Trimmed text; blank is refused (unset the variable instead).
    pub fn text(raw: &str) -> Result<String, String> {
        let text = raw.trim();
        if text.is_empty() {
            return Err("is empty (unset it instead)".into());
        }
        Ok(text.to_owned())
    }

    /// `VAR=` (blank) counts as unset, as in a compose file that lists every variable.
    fn blankable<T>(
        raw: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Blankable<T>, String> {
        if raw.trim().is_empty() {
            return Ok(Blankable(None));
        }
        parse(raw).map(|value| Blankable(Some(value)))
    }

    pub fn optional_text(raw: &str) -> Result<Blankable<String>, String> {
        blankable(raw, text)
    }

    pub fn optional_secret(raw: &str) -> Result<Blankable<SecretString>, String> {
        blankable(raw, |raw| Ok(SecretString::from(raw.to_owned())))
    }

    pub fn optional_http_url(raw: &str) -> Result<Blankable<Url>, String> {
        blankable(raw, http_url)
    }

    pub fn optional_smtp_url(raw: &str) -> Result<Blankable<SecretString>, String> {
        blankable(raw, smtp_url)
    }

    pub fn optional_mailbox(raw: &str) -> Result<Blankable<String>, String> {
        blankable(raw, mailbox)
    }

    pub fn metrics_token(raw: &str) -> Result<SecretString, String> {
        let token = raw.trim();
        if token.len() < 16 {
            return Err("must be at least 16 characters (e.g. openssl rand -hex 32)".into());
        }
        Ok(SecretString::from(token.to_owned()))
    }

    pub fn smtp_url(raw: &str) -> Result<SecretString, String> {
        // Never echoes the URL: it may carry the SMTP password.
        let url = Url::parse(raw.trim()).map_err(|e| format!("is not a URL ({e})"))?;
        if !matches!(url.scheme(), "smtp" | "smtps") || url.host_str().is_none() {
            return Err("must be smtp://host[:port] or smtps://user:pass@host[:port]".into());
        }
        Ok(SecretString::from(raw.trim().to_owned()))
    }

    pub fn mailbox(raw: &str) -> Result<String, String> {
        let from = raw.trim();
        from.parse::<lettre::message::Mailbox>()
            .map_err(|e| format!("is not a mail address ({e})"))?;
        Ok(from.to_owned())
    }

    pub fn time_of_day(raw: &str) -> Result<NaiveTime, String> {
        NaiveTime::parse_from_str(raw.trim(), "%H:%M:%S")
            .or_else(|_| NaiveTime::parse_from_str(raw.trim(), "%H:%M"))
            .map_err(|_| "must be a time of day, HH:MM".to_owned())
    }

    /// A whole number above zero.
    pub fn positive(raw: &str) -> Result<u32, String> {
        raw.trim()
            .parse::<u32>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("'{raw}' is not a whole number above 0"))
    }

    /// The key itself when it looks like PEM, else the file it names; checked to parse.
    pub fn public_key(raw: &str) -> Result<String, String> {
        let raw = raw.trim();
        let pem = if raw.starts_with("-----BEGIN") {
            raw.to_owned()
        } else {
            std::fs::read_to_string(raw).map_err(|e| format!("cannot read '{raw}': {e}"))?
        };
        jsonwebtoken::DecodingKey::from_rsa_pem(pem.as_bytes())
            .map_err(|e| format!("is not an RSA public key in PEM ({e})"))?;
        Ok(pem)
    }

    pub fn http_url(raw: &str) -> Result<Url, String> {
        let url = Url::parse(raw.trim()).map_err(|e| format!("'{raw}' is not a URL ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(format!(
                "'{raw}' must be an http:// or https:// URL with a host"
            ));
        }
        Ok(url)
    }

    /// `600`, `600/minute`, `10/s`, `5000/hour`: a whole number above 0 per period (minute by
    /// default).
    pub fn rate_limit(raw: &str) -> Result<ApiRateLimit, String> {
        let bad =
            || format!("'{raw}' is not a rate like 600/minute (N per second, minute or hour)");
        let text = raw.trim().to_ascii_lowercase();
        let (count, unit) = text.split_once('/').unwrap_or((&text, "minute"));
        let requests = count
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(bad)?;
        let period = match unit.trim() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "m" | "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            _ => return Err(bad()),
        };
        Ok(ApiRateLimit { requests, period })
    }

    pub fn switch(raw: &str) -> Result<bool, String> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" => Ok(false),
            _ => Err(format!("'{raw}' is neither true nor false")),
        }
    }

    /// `90s`, `30m`, `12h`, `7d` or a plain number of seconds.
    pub fn duration(raw: &str) -> Result<Duration, String> {
        let text = raw.trim();
        let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
            Some(i) => text.split_at(i),
            None => (text, "s"),
        };
        let multiplier = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => 0,
        };
        digits
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(multiplier))
            .filter(|n| *n > 0)
            .map(Duration::from_secs)
            .ok_or_else(|| format!("'{raw}' is not a duration above zero like 90s, 30m, 12h or 7d"))
    }
}
