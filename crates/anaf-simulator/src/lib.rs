//! The ANAF simulator: a stand-in for ANAF's OAuth server (`logincert.anaf.ro/anaf-oauth2/v1`), the
//! e-Factura API (`api.anaf.ro`: upload, stareMesaj, both lists, descarcare; and the public
//! `validare`/`transformare`), and ANAF's public company registry (`webservicesp.anaf.ro`), faithful
//! to what is known of ANAF's real behaviour (the project's `../shared/reference/anaf-protocol.md`
//! and `efactura-api.md`; summarised in this crate's README).
//!
//! Usable three ways:
//! * standalone: `anaf-portal simulator --bind ADDR --client-id ID --client-secret S --redirect-uri URI`
//!   (see [`run`] and [`SimulatorArgs`]); ANAF's own paths sit at the root;
//! * mounted by the portal in sandbox mode: `web::scope("/sandbox/anaf").configure(|c| sim.configure(c))`;
//! * started in-process by tests on port 0 with [`serve`].
//!
//! Besides ANAF's paths it serves simulator-only control endpoints under `__sim/` (clock, faults,
//! certificates, switches, call log, token minting, public key, e-Factura inbox seeding and counters).
//! See this crate's README.

mod cli;
mod control;
mod efactura;
mod faults;
mod oauth;
mod registry;
mod request;
mod resource;
mod state;
mod tokens;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use actix_web::web;
use serde::{Deserialize, Serialize};

pub use cli::{SimulatorArgs, run};
pub use efactura::{EfacturaCounters, InboxSeed, MinuteCalls, SeededInbox};
pub use faults::{Fault, FaultRequest};
pub use registry::{MAX_CUIS_PER_REQUEST, NOT_FOUND, RegistryCompany, company as registry_company};

use state::State;
use tokens::KeyMaterial;

/// An OAuth application registered at (simulated) ANAF.
#[derive(Clone, Debug)]
pub struct RegisteredClient {
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
}

/// Whether a refresh token keeps working after it has been used (ANAF's behaviour is disputed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum RefreshMode {
    /// The used refresh token stops working; only the new one is valid (the default).
    Rotating,
    /// The used refresh token keeps working until it expires.
    Reusable,
}

/// How `/revoke` answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum RevokeMode {
    /// As ANAF reportedly does: a 302 redirect to a login page; nothing is revoked (the default).
    #[value(alias = "anaf_redirect")]
    AnafRedirect,
    /// As RFC 7009: 200, the token (access or refresh) is revoked.
    Rfc7009,
}

/// Everything a simulator starts with. All of it except the signing key can be changed at runtime
/// through the `__sim/` control endpoints.
#[derive(Clone, Debug)]
pub struct SimulatorSettings {
    pub clients: Vec<RegisteredClient>,
    /// Certificate serial to approve without showing the page (`"none"` = deny with `access_denied`).
    pub auto_approve: Option<String>,
    pub refresh_mode: RefreshMode,
    pub revoke_mode: RevokeMode,
    pub lista_daily_limit_per_cif: u32,
    pub calls_per_minute_limit: u32,
    /// How many calls the call log keeps (the oldest go first).
    pub call_log_capacity: usize,
    /// Simulated seconds between an e-Factura upload and `stareMesaj` answering `ok`/`nok`.
    pub processing_delay_seconds: u32,
    /// Simulated seconds between the end of processing and the message appearing in the lists
    /// (its `data_creare`).
    pub indexing_lag_seconds: u32,
    /// `descarcare` calls per message per simulated day.
    pub descarcare_daily_limit: u32,
    /// `stareMesaj` calls per upload per simulated day.
    pub stare_mesaj_daily_limit: u32,
    /// `listaMesajePaginatieFactura` calls per CIF per simulated day.
    pub lista_paginatie_daily_limit_per_cif: u32,
    /// `RASP` (buyer message) uploads per CIF per simulated day.
    pub rasp_daily_limit_per_cif: u32,
    /// PKCS#8 or PKCS#1 RSA private key; `None` = generated (cached per process).
    pub signing_key_pem: Option<String>,
}

impl Default for SimulatorSettings {
    fn default() -> Self {
        SimulatorSettings {
            clients: Vec::new(),
            auto_approve: None,
            refresh_mode: RefreshMode::Rotating,
            revoke_mode: RevokeMode::AnafRedirect,
            lista_daily_limit_per_cif: 1500,
            calls_per_minute_limit: 1000,
            call_log_capacity: 10_000,
            processing_delay_seconds: 2,
            indexing_lag_seconds: 0,
            descarcare_daily_limit: 10,
            stare_mesaj_daily_limit: 100,
            lista_paginatie_daily_limit_per_cif: 100_000,
            rasp_daily_limit_per_cif: 1000,
            signing_key_pem: None,
        }
    }
}

/// A qualified certificate the simulated user can choose on the authorize page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestCertificate {
    /// Colon-separated hex, as in ANAF's `serial` claim (e.g. `34:00:00:25:69:...`).
    pub serial: String,
    /// The certificate holder (goes into the `sub` claim).
    pub holder: String,
    /// The certificate authority (goes into the `issuer` claim).
    pub issuer: String,
    /// CIFs (digits only) the holder has SPV rights for. May be empty.
    #[serde(default)]
    pub cifs: Vec<String>,
}

/// The token endpoint's success body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: String,
    pub expires_in: i64,
}

/// The ANAF endpoints the simulator reproduces (used in the call log and for fault injection).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SimEndpoint {
    Authorize,
    Token,
    Revoke,
    Hello,
    Lista,
    /// ANAF's public company registry (`webservicesp.anaf.ro`, `PlatitorTvaRest/v9/tva`).
    Registry,
    /// e-Factura `POST upload`.
    Upload,
    /// e-Factura `POST uploadb2c`.
    UploadB2c,
    /// e-Factura `GET stareMesaj`.
    StareMesaj,
    /// e-Factura `GET listaMesajePaginatieFactura`.
    ListaPaginatie,
    /// e-Factura `GET descarcare`.
    Descarcare,
    /// e-Factura's public `POST validare/{FACT1|FCN}` (no authentication).
    Validare,
    /// e-Factura's public `POST transformare/{FACT1|FCN}[/DA]` (no authentication).
    Transformare,
}

impl SimEndpoint {
    /// Every endpoint, in the order `GET __sim/faults` lists them.
    pub const ALL: [SimEndpoint; 13] = [
        SimEndpoint::Authorize,
        SimEndpoint::Token,
        SimEndpoint::Revoke,
        SimEndpoint::Hello,
        SimEndpoint::Lista,
        SimEndpoint::Registry,
        SimEndpoint::Upload,
        SimEndpoint::UploadB2c,
        SimEndpoint::StareMesaj,
        SimEndpoint::ListaPaginatie,
        SimEndpoint::Descarcare,
        SimEndpoint::Validare,
        SimEndpoint::Transformare,
    ];
}

/// How the client authenticated on a token or revoke call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuthStyle {
    Basic,
    Body,
    None,
}

/// One call received on an ANAF endpoint. Secrets (tokens, codes, client secrets, verifiers) are kept
/// only as a short prefix followed by `…`; the Authorization header value is never kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedCall {
    /// 1-based, increasing over the simulator's life (not reset by clearing the log).
    pub seq: u64,
    /// Simulated time of the call (RFC 3339).
    pub at: String,
    pub endpoint: SimEndpoint,
    pub method: String,
    pub path: String,
    pub grant_type: Option<String>,
    pub client_auth: ClientAuthStyle,
    /// The client id, from the Basic header, the body or the query.
    pub client_id: Option<String>,
    /// Query and form parameters, secrets masked.
    pub params: BTreeMap<String, String>,
    /// HTTP status answered (`None` for a dropped connection).
    pub status: Option<u16>,
    /// The injected fault that shaped this answer, if any (its `kind`: `latency`, `timeout`,
    /// `status`, `drop`, `malformed_json`, `eroare_tehnica`, `firewall_page`, `answer_dropped` …).
    pub fault: Option<String>,
}

/// The certificates every simulator starts with. CIFs carry valid Romanian check digits.
pub fn default_certificates() -> Vec<TestCertificate> {
    vec![
        TestCertificate {
            serial: "34:00:00:25:69:a1:b2:c3:d4:e5:f6:00:00:00:00:01".into(),
            holder: "POPESCU ION".into(),
            issuer: "Anaf".into(),
            cifs: vec!["18547290".into(), "14399840".into()],
        },
        TestCertificate {
            serial: "34:00:00:25:69:a1:b2:c3:d4:e5:f6:00:00:00:00:02".into(),
            holder: "IONESCU MARIA".into(),
            issuer: "certSIGN Qualified CA".into(),
            cifs: vec!["1590082".into(), "22732040".into(), "11123319".into()],
        },
        TestCertificate {
            serial: "34:00:00:25:69:a1:b2:c3:d4:e5:f6:00:00:00:00:03".into(),
            holder: "GEORGESCU ANDREI".into(),
            issuer: "DigiSign Qualified CA".into(),
            cifs: vec![],
        },
    ]
}

/// The simulator: shared state behind an `Arc`; cheap to clone.
#[derive(Clone)]
pub struct Simulator {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    keys: Arc<KeyMaterial>,
}

/// `web::Data` wrapper so the simulator's app data cannot collide with the portal's.
#[derive(Clone)]
pub(crate) struct SimData(pub(crate) Simulator);

impl Simulator {
    pub fn new(settings: SimulatorSettings) -> anyhow::Result<Simulator> {
        for client in &settings.clients {
            state::validate_client(client)?;
        }
        let keys = match &settings.signing_key_pem {
            Some(pem) => Arc::new(KeyMaterial::from_pem(pem)?),
            None => KeyMaterial::generated()?,
        };
        Ok(Simulator {
            inner: Arc::new(Inner {
                state: Mutex::new(State::new(settings)),
                keys,
            }),
        })
    }

    /// Registers every ANAF path and the `__sim/` control paths relative to the scope it is mounted in.
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        cfg.app_data(web::Data::new(SimData(self.clone())));
        oauth::configure(cfg);
        resource::configure(cfg);
        efactura::configure(cfg);
        registry::configure(cfg);
        control::configure(cfg);
    }

    /// The public half of the signing key, SPKI PEM (`-----BEGIN PUBLIC KEY-----`).
    pub fn public_key_pem(&self) -> String {
        self.inner.keys.public_pem.clone()
    }

    /// The call log (same data as `GET __sim/calls`).
    pub fn calls(&self) -> Vec<RecordedCall> {
        self.lock().calls.iter().cloned().collect()
    }

    /// Issues a JWT pair for a certificate without a browser (as `POST __sim/mint`).
    pub fn mint(&self, certificate_serial: &str, client_id: &str) -> anyhow::Result<TokenPair> {
        let mut st = self.lock();
        let cert = st
            .find_certificate(certificate_serial)
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("unknown certificate serial {certificate_serial:?}"))?;
        tokens::issue_pair(&mut st, &self.inner.keys, &cert, client_id, true, None)
    }

    /// The e-Factura counters (same data as `GET __sim/efactura/counters`).
    pub fn efactura_counters(&self) -> EfacturaCounters {
        self.lock().efactura.counters.snapshot()
    }

    /// Sets every e-Factura counter back to zero (as `DELETE __sim/efactura/counters`). The daily
    /// limits' own counts are not touched: they restart with the simulated day.
    pub fn reset_efactura_counters(&self) {
        self.lock().efactura.counters = Default::default();
    }

    /// Seeds `FACTURA PRIMITA` messages with downloadable invoices (as `POST __sim/efactura/inbox`).
    pub fn seed_inbox(&self, seed: &InboxSeed) -> Result<SeededInbox, String> {
        efactura::seed::seed_inbox(&mut self.lock(), seed)
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the state half-updated in a way that matters
        // for a simulator; keep serving.
        self.inner
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn keys(&self) -> &KeyMaterial {
        &self.inner.keys
    }
}

/// Standalone server on an already-bound listener (tests bind `127.0.0.1:0`). ANAF's paths at the root.
pub fn serve(
    listener: std::net::TcpListener,
    simulator: Simulator,
) -> std::io::Result<actix_web::dev::Server> {
    build_server(listener, simulator, false)
}

pub(crate) fn build_server(
    listener: std::net::TcpListener,
    simulator: Simulator,
    handle_signals: bool,
) -> std::io::Result<actix_web::dev::Server> {
    let server = actix_web::HttpServer::new(move || {
        let sim = simulator.clone();
        actix_web::App::new().configure(move |c| sim.configure(c))
    })
    .workers(2)
    .shutdown_timeout(1)
    .listen(listener)?;
    let server = if handle_signals {
        server
    } else {
        server.disable_signals()
    };
    Ok(server.run())
}
