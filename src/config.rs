//! Every setting: its environment variable, its default and its validation.
//!
//! `ServeArgs` holds the raw strings exactly as given (flag or environment), so that a bad value is
//! reported with the *variable's* name; `Config::from_args` turns them into typed values or one
//! `ConfigError` line naming the variable and what is wrong.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use chrono::TimeDelta;
use secrecy::SecretString;
use url::Url;

use crate::anaf::client::EfacturaEnvironment;
use crate::db::DatabaseUrl;
use crate::domain::RefreshPolicy;

#[derive(clap::Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address and port the portal listens on.
    #[arg(long, env = "ANAF_PORTAL_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,

    /// Public URL of the portal (used for cookies, redirects and the OAuth callback).
    /// Default: http://<bind address>.
    #[arg(long, env = "ANAF_PORTAL_BASE_URL")]
    pub base_url: Option<String>,

    /// Directory for the default SQLite database and the generated sandbox secret key.
    #[arg(long, env = "ANAF_PORTAL_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Database: a SQLite file path (or sqlite://path) or postgres://user:pass@host/db.
    /// Default: <data dir>/anaf-portal.sqlite3.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,

    /// Master key for encrypting tokens and cookies: at least 32 bytes, base64 or hex.
    /// Generated into the data directory when absent in sandbox mode; required otherwise.
    #[arg(long, env = "ANAF_PORTAL_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,

    /// Earlier master keys, comma-separated: tokens sealed under them still open after a rotation
    /// (`anaf-portal rotate-keys` re-seals them all under the current key).
    #[arg(long, env = "ANAF_PORTAL_PREVIOUS_SECRET_KEYS", hide_env_values = true)]
    pub previous_secret_keys: Option<String>,

    /// Whether anyone may register (`open`) or accounts come only from `user create` (`closed`).
    #[arg(long, env = "ANAF_PORTAL_REGISTRATION", default_value = "open")]
    pub registration: String,

    /// A session ends after this long without a request (e.g. 30m, 1h, 90s).
    #[arg(long, env = "ANAF_PORTAL_SESSION_IDLE_TIMEOUT", default_value = "30m")]
    pub session_idle_timeout: String,

    /// A session ends this long after login, however active (e.g. 12h).
    #[arg(
        long,
        env = "ANAF_PORTAL_SESSION_ABSOLUTE_TIMEOUT",
        default_value = "12h"
    )]
    pub session_absolute_timeout: String,

    /// Failed logins allowed per IP address and per account within the window.
    #[arg(long, env = "ANAF_PORTAL_LOGIN_MAX_FAILURES", default_value = "10")]
    pub login_max_failures: String,

    /// The window over which failed logins are counted; a locked account unlocks when it passes.
    #[arg(long, env = "ANAF_PORTAL_LOGIN_FAILURE_WINDOW", default_value = "15m")]
    pub login_failure_window: String,

    /// Run the refresh engine in this instance (`off`: a web-only instance; `anaf-portal worker`
    /// runs the engine without the web server).
    #[arg(long, env = "ANAF_PORTAL_WORKER", default_value = "on")]
    pub worker: String,

    /// How often the refresh engine looks for tokens due for a refresh.
    #[arg(long, env = "ANAF_PORTAL_SCHEDULER_TICK", default_value = "60s")]
    pub scheduler_tick: String,

    /// A token falls due for a refresh this long before its access token expires (at most; a
    /// fifth of a short token's life), and "reconnect before" shows this long before a date only
    /// a reconnect can move.
    #[arg(long, env = "ANAF_PORTAL_REFRESH_AHEAD", default_value = "14d")]
    pub refresh_ahead: String,

    /// After failing this long (timeouts, 5xx, 429), a token is flagged "refresh failing" and
    /// tried twice a day.
    #[arg(long, env = "ANAF_PORTAL_REFRESH_FAILING_AFTER", default_value = "4d")]
    pub refresh_failing_after: String,

    /// SMTP server for email notifications: smtps://user:pass@host (TLS),
    /// smtp://user:pass@host:587?tls=required (STARTTLS), smtp://host:25 (plain: a relay on the
    /// same network). Unset: no email.
    #[arg(long, env = "ANAF_PORTAL_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// The sender of notification email, e.g. "ANAF Portal <portal@example.ro>".
    #[arg(long, env = "ANAF_PORTAL_MAIL_FROM")]
    pub mail_from: Option<String>,

    /// When daily digests go out, Romanian time (HH:MM).
    #[arg(long, env = "ANAF_PORTAL_DIGEST_AT", default_value = "07:00")]
    pub digest_at: String,

    /// Allow webhook URLs that resolve to loopback, private or link-local addresses (tests and
    /// on-premises receivers).
    #[arg(
        long,
        env = "ANAF_PORTAL_WEBHOOK_ALLOW_PRIVATE",
        default_value = "false"
    )]
    pub webhook_allow_private: String,

    /// How long a request's body may take to arrive once its headers have (answered 408 after).
    #[arg(long, env = "ANAF_PORTAL_REQUEST_BODY_TIMEOUT", default_value = "15s")]
    pub request_body_timeout: String,

    /// Take the client address from X-Forwarded-For (only behind a reverse proxy you control).
    #[arg(long, env = "ANAF_PORTAL_TRUST_PROXY", default_value = "false")]
    pub trust_proxy: String,

    /// OAuth client id registered at ANAF. Absent: sandbox mode with the built-in ANAF simulator.
    #[arg(long, env = "ANAF_CLIENT_ID")]
    pub anaf_client_id: Option<String>,

    /// OAuth client secret registered at ANAF (required with ANAF_CLIENT_ID).
    #[arg(long, env = "ANAF_CLIENT_SECRET", hide_env_values = true)]
    pub anaf_client_secret: Option<String>,

    /// Callback URL registered at ANAF. Default: <base URL>/anaf/callback.
    #[arg(long, env = "ANAF_REDIRECT_URI")]
    pub anaf_redirect_uri: Option<String>,

    /// ANAF OAuth server.
    #[arg(
        long,
        env = "ANAF_OAUTH_URL",
        default_value = "https://logincert.anaf.ro/anaf-oauth2/v1"
    )]
    pub anaf_oauth_url: String,

    /// The OAuth server's issuer identifier: a Connect ANAF answer that names another (`iss`,
    /// RFC 9207) is refused.
    #[arg(
        long,
        env = "ANAF_OAUTH_ISSUER",
        default_value = "https://logincert.anaf.ro"
    )]
    pub anaf_oauth_issuer: String,

    /// A `scope` to ask for on Connect ANAF (ANAF needs none; a standard OAuth server may).
    #[arg(long, env = "ANAF_OAUTH_SCOPE")]
    pub anaf_oauth_scope: Option<String>,

    /// How long a refresh waits for ANAF's answer (the person's page stops waiting after
    /// ANAF_HTTP_TIMEOUT; the refresh goes on and its answer is saved).
    #[arg(long, env = "ANAF_PORTAL_REFRESH_TIMEOUT", default_value = "60s")]
    pub refresh_timeout: String,

    /// Calls to ANAF per minute for the whole portal, all instances together (ANAF allows about
    /// 1,000 per client, shared with the integrators' own calls).
    #[arg(long, env = "ANAF_PORTAL_ANAF_CALLS_PER_MINUTE", default_value = "500")]
    pub anaf_calls_per_minute: String,

    /// ANAF API server (the hello service and e-Factura).
    #[arg(long, env = "ANAF_API_URL", default_value = "https://api.anaf.ro")]
    pub anaf_api_url: String,

    /// ANAF's public company registry (company names and addresses from a CIF). Default:
    /// https://webservicesp.anaf.ro; in sandbox mode, the built-in simulator.
    #[arg(long, env = "ANAF_REGISTRY_URL")]
    pub anaf_registry_url: Option<String>,

    /// e-Factura environment the SPV rights probe asks: `test` or `prod`.
    #[arg(long, env = "ANAF_EFACTURA_ENVIRONMENT", default_value = "prod")]
    pub anaf_efactura_environment: String,

    /// ANAF's RS512 public key (PEM text or a file path): token signatures are verified when set.
    #[arg(long, env = "ANAF_JWT_PUBLIC_KEY")]
    pub anaf_jwt_public_key: Option<String>,

    /// Send a PKCE S256 challenge with Connect ANAF (ANAF does not document PKCE).
    #[arg(long, env = "ANAF_OAUTH_PKCE", default_value = "false")]
    pub anaf_oauth_pkce: String,

    /// How long a call to ANAF may take before it counts as failed.
    #[arg(long, env = "ANAF_HTTP_TIMEOUT", default_value = "15s")]
    pub anaf_http_timeout: String,

    /// The bearer token `GET /metrics` asks for (at least 16 characters); unset, `/metrics`
    /// answers 404.
    #[arg(long, env = "ANAF_PORTAL_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// Requests each API key may make: `N` per minute, or `N/second`, `N/minute`, `N/hour`.
    #[arg(long, env = "ANAF_PORTAL_API_RATE_LIMIT", default_value = "600/minute")]
    pub api_rate_limit: String,
}

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

fn invalid(variable: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        problem: problem.into(),
    }
}

impl Config {
    pub fn from_args(args: ServeArgs) -> Result<Config, ConfigError> {
        let bind: SocketAddr = args.bind.trim().parse().map_err(|_| {
            invalid(
                "ANAF_PORTAL_BIND",
                format!("'{}' is not an address like 127.0.0.1:8080", args.bind),
            )
        })?;
        let base_url = args
            .base_url
            .as_deref()
            .map(|raw| parse_http_url("ANAF_PORTAL_BASE_URL", raw))
            .transpose()?;
        let database_url = match args.database_url.as_deref() {
            Some(raw) => DatabaseUrl::parse(raw).map_err(|e| invalid("DATABASE_URL", e))?,
            None => DatabaseUrl::Sqlite(args.data_dir.join("anaf-portal.sqlite3")),
        };
        let anaf = anaf_settings(&args)?;
        let notifications = notification_settings(&args)?;
        let secret_key = match args.secret_key {
            Some(raw) => {
                crate::secrets::MasterKey::parse(&raw)
                    .map_err(|e| invalid("ANAF_PORTAL_SECRET_KEY", e))?;
                Some(SecretString::from(raw))
            }
            None => None,
        };
        let registration = match args.registration.trim().to_ascii_lowercase().as_str() {
            "open" => Registration::Open,
            "closed" => Registration::Closed,
            other => {
                return Err(invalid(
                    "ANAF_PORTAL_REGISTRATION",
                    format!("'{other}' is neither 'open' nor 'closed'"),
                ));
            }
        };
        let session = SessionSettings {
            idle_timeout: parse_duration(
                "ANAF_PORTAL_SESSION_IDLE_TIMEOUT",
                &args.session_idle_timeout,
            )?,
            absolute_timeout: parse_duration(
                "ANAF_PORTAL_SESSION_ABSOLUTE_TIMEOUT",
                &args.session_absolute_timeout,
            )?,
        };
        if session.absolute_timeout < session.idle_timeout {
            return Err(invalid(
                "ANAF_PORTAL_SESSION_ABSOLUTE_TIMEOUT",
                "must not be shorter than ANAF_PORTAL_SESSION_IDLE_TIMEOUT",
            ));
        }
        let max_failures =
            parse_positive("ANAF_PORTAL_LOGIN_MAX_FAILURES", &args.login_max_failures)?;
        let login_limits = LoginLimits {
            max_failures,
            window: parse_duration(
                "ANAF_PORTAL_LOGIN_FAILURE_WINDOW",
                &args.login_failure_window,
            )?,
        };
        let trust_proxy = parse_bool("ANAF_PORTAL_TRUST_PROXY", &args.trust_proxy)?;
        let previous_secret_keys = args
            .previous_secret_keys
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(|k| {
                crate::secrets::MasterKey::parse(k)
                    .map(|_| SecretString::from(k.to_owned()))
                    .map_err(|e| invalid("ANAF_PORTAL_PREVIOUS_SECRET_KEYS", format!("a key {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if !previous_secret_keys.is_empty() && secret_key.is_none() {
            return Err(invalid(
                "ANAF_PORTAL_PREVIOUS_SECRET_KEYS",
                "needs ANAF_PORTAL_SECRET_KEY, the current key",
            ));
        }
        if anaf.credentials.is_some() && secret_key.is_none() {
            return Err(invalid(
                "ANAF_PORTAL_SECRET_KEY",
                "is required when ANAF_CLIENT_ID is set (generate one with: openssl rand -base64 32)",
            ));
        }
        let api_rate_limit = parse_rate_limit("ANAF_PORTAL_API_RATE_LIMIT", &args.api_rate_limit)?;
        let metrics_token = match args.metrics_token {
            Some(token) if token.trim().len() < 16 => {
                return Err(invalid(
                    "ANAF_PORTAL_METRICS_TOKEN",
                    "must be at least 16 characters (e.g. openssl rand -hex 32)",
                ));
            }
            token => token.map(|t| SecretString::from(t.trim().to_owned())),
        };
        Ok(Config {
            notifications,
            api_rate_limit,
            metrics_token,
            bind,
            base_url,
            data_dir: args.data_dir,
            database_url,
            secret_key,
            previous_secret_keys,
            registration,
            session,
            login_limits,
            trust_proxy,
            request_body_timeout: parse_duration(
                "ANAF_PORTAL_REQUEST_BODY_TIMEOUT",
                &args.request_body_timeout,
            )?,
            engine: EngineSettings {
                enabled: parse_bool("ANAF_PORTAL_WORKER", &args.worker)?,
                tick: parse_duration("ANAF_PORTAL_SCHEDULER_TICK", &args.scheduler_tick)?,
                failing_after: parse_duration(
                    "ANAF_PORTAL_REFRESH_FAILING_AFTER",
                    &args.refresh_failing_after,
                )?,
                policy: RefreshPolicy {
                    ahead: TimeDelta::from_std(parse_duration(
                        "ANAF_PORTAL_REFRESH_AHEAD",
                        &args.refresh_ahead,
                    )?)
                    .map_err(|_| invalid("ANAF_PORTAL_REFRESH_AHEAD", "too long"))?,
                },
            },
            anaf,
        })
    }

    pub fn is_sandbox(&self) -> bool {
        self.anaf.credentials.is_none()
    }
}

fn notification_settings(args: &ServeArgs) -> Result<NotificationSettings, ConfigError> {
    let smtp_url = args
        .smtp_url
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let smtp = match smtp_url {
        None => None,
        Some(raw) => {
            let url = Url::parse(raw)
                .map_err(|e| invalid("ANAF_PORTAL_SMTP_URL", format!("is not a URL ({e})")))?;
            if !matches!(url.scheme(), "smtp" | "smtps") || url.host_str().is_none() {
                return Err(invalid(
                    "ANAF_PORTAL_SMTP_URL",
                    "must be smtp://host[:port] or smtps://user:pass@host[:port]",
                ));
            }
            let from = args
                .mail_from
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| {
                    invalid(
                        "ANAF_PORTAL_MAIL_FROM",
                        "is required with ANAF_PORTAL_SMTP_URL (e.g. \"ANAF Portal <portal@example.ro>\")",
                    )
                })?;
            from.parse::<lettre::message::Mailbox>().map_err(|e| {
                invalid(
                    "ANAF_PORTAL_MAIL_FROM",
                    format!("is not a mail address ({e})"),
                )
            })?;
            Some(SmtpSettings {
                url: SecretString::from(raw.to_owned()),
                from: from.to_owned(),
            })
        }
    };
    let digest_at = chrono::NaiveTime::parse_from_str(args.digest_at.trim(), "%H:%M:%S")
        .or_else(|_| chrono::NaiveTime::parse_from_str(args.digest_at.trim(), "%H:%M"))
        .map_err(|_| invalid("ANAF_PORTAL_DIGEST_AT", "must be a time of day, HH:MM"))?;
    Ok(NotificationSettings {
        smtp,
        digest_at,
        webhook_allow_private: parse_bool(
            "ANAF_PORTAL_WEBHOOK_ALLOW_PRIVATE",
            &args.webhook_allow_private,
        )?,
    })
}

fn anaf_settings(args: &ServeArgs) -> Result<AnafSettings, ConfigError> {
    let oauth_url = parse_http_url("ANAF_OAUTH_URL", &args.anaf_oauth_url)?;
    let api_url = parse_http_url("ANAF_API_URL", &args.anaf_api_url)?;
    let registry_url = args
        .anaf_registry_url
        .as_deref()
        .filter(|raw| !raw.trim().is_empty())
        .map(|raw| parse_http_url("ANAF_REGISTRY_URL", raw))
        .transpose()?;
    let redirect_uri = args
        .anaf_redirect_uri
        .as_deref()
        .map(|raw| parse_http_url("ANAF_REDIRECT_URI", raw))
        .transpose()?;
    let client_id = args
        .anaf_client_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let credentials = match client_id {
        None if args.anaf_client_secret.is_some() => {
            return Err(invalid(
                "ANAF_CLIENT_ID",
                "is missing while ANAF_CLIENT_SECRET is set",
            ));
        }
        #[cfg(feature = "sandbox")]
        None => None,
        #[cfg(not(feature = "sandbox"))]
        None => {
            return Err(invalid(
                "ANAF_CLIENT_ID",
                "is required: this build has no sandbox simulator (built without the `sandbox` feature)",
            ));
        }
        Some(client_id) => {
            let client_secret = args
                .anaf_client_secret
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .ok_or_else(|| {
                    invalid(
                        "ANAF_CLIENT_SECRET",
                        "is required when ANAF_CLIENT_ID is set",
                    )
                })?;
            Some(AnafCredentials {
                client_id: client_id.to_owned(),
                client_secret: SecretString::from(client_secret.to_owned()),
            })
        }
    };
    let environment = match args
        .anaf_efactura_environment
        .trim()
        .to_ascii_lowercase()
        .as_str()
    {
        "test" => EfacturaEnvironment::Test,
        "prod" => EfacturaEnvironment::Prod,
        other => {
            return Err(invalid(
                "ANAF_EFACTURA_ENVIRONMENT",
                format!("'{other}' is neither 'test' nor 'prod'"),
            ));
        }
    };
    let jwt_public_key_pem = args
        .anaf_jwt_public_key
        .as_deref()
        .map(|raw| read_public_key(raw.trim()))
        .transpose()?;
    Ok(AnafSettings {
        credentials,
        redirect_uri,
        oauth_url,
        issuer: args.anaf_oauth_issuer.trim().to_owned(),
        scope: args
            .anaf_oauth_scope
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        refresh_timeout: parse_duration("ANAF_PORTAL_REFRESH_TIMEOUT", &args.refresh_timeout)?,
        api_url,
        registry_url,
        environment,
        jwt_public_key_pem,
        pkce: parse_bool("ANAF_OAUTH_PKCE", &args.anaf_oauth_pkce)?,
        timeout: parse_duration("ANAF_HTTP_TIMEOUT", &args.anaf_http_timeout)?,
        calls_per_minute: parse_positive(
            "ANAF_PORTAL_ANAF_CALLS_PER_MINUTE",
            &args.anaf_calls_per_minute,
        )?,
    })
}

/// ANAF's public company registry.
pub const REGISTRY_URL: &str = "https://webservicesp.anaf.ro";

/// A whole number above zero.
fn parse_positive(variable: &'static str, raw: &str) -> Result<u32, ConfigError> {
    raw.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| invalid(variable, format!("'{raw}' is not a whole number above 0")))
}

/// The key itself when it looks like PEM, else the file it names; checked to parse.
fn read_public_key(raw: &str) -> Result<String, ConfigError> {
    let pem = if raw.starts_with("-----BEGIN") {
        raw.to_owned()
    } else {
        std::fs::read_to_string(raw)
            .map_err(|e| invalid("ANAF_JWT_PUBLIC_KEY", format!("cannot read '{raw}': {e}")))?
    };
    jsonwebtoken::DecodingKey::from_rsa_pem(pem.as_bytes()).map_err(|e| {
        invalid(
            "ANAF_JWT_PUBLIC_KEY",
            format!("is not an RSA public key in PEM ({e})"),
        )
    })?;
    Ok(pem)
}

fn parse_http_url(variable: &'static str, raw: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(raw.trim())
        .map_err(|e| invalid(variable, format!("'{raw}' is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(invalid(
            variable,
            format!("'{raw}' must be an http:// or https:// URL with a host"),
        ));
    }
    Ok(url)
}

/// `600`, `600/minute`, `10/s`, `5000/hour`: a whole number above 0 per period (minute by default).
fn parse_rate_limit(variable: &'static str, raw: &str) -> Result<ApiRateLimit, ConfigError> {
    let bad = || {
        invalid(
            variable,
            format!("'{raw}' is not a rate like 600/minute (N per second, minute or hour)"),
        )
    };
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

fn parse_bool(variable: &'static str, raw: &str) -> Result<bool, ConfigError> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(invalid(
            variable,
            format!("'{raw}' is neither true nor false"),
        )),
    }
}

/// Parses `90s`, `30m`, `12h`, `7d` or a plain number of seconds.
pub fn parse_duration(variable: &'static str, raw: &str) -> Result<Duration, ConfigError> {
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
    let seconds = digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(multiplier))
        .filter(|n| *n > 0);
    seconds.map(Duration::from_secs).ok_or_else(|| {
        invalid(
            variable,
            format!("'{raw}' is not a duration above zero like 90s, 30m, 12h or 7d"),
        )
    })
}
