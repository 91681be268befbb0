//! `anaf-portal simulator`: the standalone ANAF simulator.

use std::net::{SocketAddr, TcpListener};

use anyhow::Context as _;

use super::{RefreshMode, RegisteredClient, RevokeMode, Simulator, SimulatorSettings};

/// Flags of `anaf-portal simulator`. `--client-id`, `--client-secret` and `--redirect-uri` are
/// repeatable (one application per triple, in order); their environment variables take
/// comma-separated lists.
#[derive(clap::Args, Debug, Clone)]
pub struct SimulatorArgs {
    /// Address to listen on (ANAF's paths are served at the root).
    #[arg(long, env = "ANAF_SIM_BIND", default_value = "127.0.0.1:9090")]
    pub bind: String,

    /// Client id of a registered application (repeatable).
    #[arg(long = "client-id", env = "ANAF_SIM_CLIENT_ID", value_delimiter = ',')]
    pub client_id: Vec<String>,

    /// Client secret of the application at the same position (repeatable).
    #[arg(
        long = "client-secret",
        env = "ANAF_SIM_CLIENT_SECRET",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub client_secret: Vec<String>,

    /// Registered callback URL of the application at the same position (repeatable); must match
    /// byte for byte.
    #[arg(
        long = "redirect-uri",
        env = "ANAF_SIM_REDIRECT_URI",
        value_delimiter = ','
    )]
    pub redirect_uri: Vec<String>,

    /// Approve every authorization with this certificate serial without showing the page
    /// (`none` = answer every authorization with access_denied).
    #[arg(long, env = "ANAF_SIM_AUTO_APPROVE")]
    pub auto_approve: Option<String>,

    /// Whether a used refresh token keeps working.
    #[arg(
        long,
        env = "ANAF_SIM_REFRESH_MODE",
        value_enum,
        default_value = "rotating"
    )]
    pub refresh_mode: RefreshMode,

    /// How /revoke answers: as ANAF reportedly does (302 to a login page) or as RFC 7009.
    #[arg(
        long,
        env = "ANAF_SIM_REVOKE_MODE",
        value_enum,
        default_value = "anaf-redirect"
    )]
    pub revoke_mode: RevokeMode,

    /// RSA private key (PKCS#8 or PKCS#1 PEM) to sign JWTs with; default: a generated key.
    #[arg(long, env = "ANAF_SIM_SIGNING_KEY", value_name = "FILE")]
    pub signing_key: Option<std::path::PathBuf>,

    /// listaMesajeFactura calls allowed per CIF per day.
    #[arg(long, env = "ANAF_SIM_LISTA_DAILY_LIMIT", default_value_t = 1500)]
    pub lista_daily_limit: u32,

    /// Calls per minute allowed over all resource endpoints (HTTP 429 past it).
    #[arg(long, env = "ANAF_SIM_CALLS_PER_MINUTE", default_value_t = 1000)]
    pub calls_per_minute: u32,
}

impl SimulatorArgs {
    /// The settings these flags describe; errors are one line naming the flag.
    pub fn settings(&self) -> anyhow::Result<SimulatorSettings> {
        let (ids, secrets, uris) = (&self.client_id, &self.client_secret, &self.redirect_uri);
        if ids.len() != secrets.len() || ids.len() != uris.len() {
            anyhow::bail!(
                "--client-id, --client-secret and --redirect-uri (ANAF_SIM_CLIENT_ID, ANAF_SIM_CLIENT_SECRET, \
                 ANAF_SIM_REDIRECT_URI) must be given the same number of times (got {}, {}, {})",
                ids.len(),
                secrets.len(),
                uris.len()
            );
        }
        let clients: Vec<RegisteredClient> = ids
            .iter()
            .zip(secrets)
            .zip(uris)
            .map(|((id, secret), uri)| RegisteredClient {
                client_id: id.clone(),
                client_secret: secret.clone(),
                redirect_uri: uri.clone(),
            })
            .collect();
        for client in &clients {
            super::state::validate_client(client).map_err(|e| {
                anyhow::anyhow!("--client-id/--client-secret/--redirect-uri (ANAF_SIM_*): {e}")
            })?;
        }
        let signing_key_pem = match &self.signing_key {
            Some(path) => Some(std::fs::read_to_string(path).with_context(|| {
                format!(
                    "--signing-key (ANAF_SIM_SIGNING_KEY): cannot read {}",
                    path.display()
                )
            })?),
            None => None,
        };
        Ok(SimulatorSettings {
            clients,
            auto_approve: self.auto_approve.clone(),
            refresh_mode: self.refresh_mode,
            revoke_mode: self.revoke_mode,
            lista_daily_limit_per_cif: self.lista_daily_limit,
            calls_per_minute_limit: self.calls_per_minute,
            signing_key_pem,
            ..SimulatorSettings::default()
        })
    }
}

/// What `anaf-portal simulator` calls: builds the simulator, binds, logs the address and serves
/// until Ctrl-C.
pub async fn run(args: SimulatorArgs) -> anyhow::Result<()> {
    let bind: SocketAddr = args.bind.parse().map_err(|e| {
        anyhow::anyhow!(
            "--bind (ANAF_SIM_BIND): {:?} is not an address like 127.0.0.1:9090 ({e})",
            args.bind
        )
    })?;
    let settings = args.settings()?;
    let simulator = Simulator::new(settings.clone())
        .map_err(|e| anyhow::anyhow!("--signing-key (ANAF_SIM_SIGNING_KEY): {e}"))?;
    if let Some(serial) = &settings.auto_approve
        && !serial.eq_ignore_ascii_case(super::oauth::NO_CERTIFICATE)
        && simulator.lock().find_certificate(serial).is_none()
    {
        anyhow::bail!(
            "--auto-approve (ANAF_SIM_AUTO_APPROVE): no test certificate has serial {serial:?}"
        );
    }
    let listener = TcpListener::bind(bind)
        .with_context(|| format!("--bind (ANAF_SIM_BIND): cannot listen on {bind}"))?;
    let addr = listener.local_addr()?;
    if settings.clients.is_empty() {
        tracing::warn!(
            "ANAF simulator: no application registered (--client-id/--client-secret/--redirect-uri); \
             register one with POST /__sim/clients"
        );
    }
    for client in &settings.clients {
        tracing::info!(client_id = %client.client_id, redirect_uri = %client.redirect_uri, "ANAF simulator: registered application");
    }
    tracing::info!(
        "ANAF simulator listening on http://{addr} (ANAF_OAUTH_URL=http://{addr}/anaf-oauth2/v1, ANAF_API_URL=http://{addr})"
    );
    super::build_server(listener, simulator, true)?
        .await
        .context("ANAF simulator server failed")
}
