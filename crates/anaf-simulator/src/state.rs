//! The simulator's mutable state (behind one `std::sync::Mutex`, never held across `.await`).

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::efactura::Efactura;
use super::faults::FaultEntry;
use super::{
    RecordedCall, RefreshMode, RegisteredClient, RevokeMode, SimEndpoint, SimulatorSettings,
    TestCertificate, default_certificates,
};

/// Lifetime of an authorization code (ANAF's PDF: exchange it within 60 seconds).
pub(crate) const CODE_LIFETIME_SECONDS: i64 = 60;

pub(crate) struct State {
    pub clients: Vec<RegisteredClient>,
    pub certificates: Vec<TestCertificate>,
    pub auto_approve: Option<String>,
    pub refresh_mode: RefreshMode,
    pub revoke_mode: RevokeMode,
    pub lista_daily_limit_per_cif: u32,
    pub calls_per_minute_limit: u32,
    /// How many calls `calls` keeps.
    pub call_log_capacity: usize,
    /// Disputed or variable details of ANAF's behaviour (runtime switches only).
    pub variants: Variants,
    /// Added to the real clock; every expiry is issued and checked on this clock.
    pub clock_offset_seconds: i64,
    pub codes: HashMap<TokenKey, PendingCode>,
    pub tokens: HashMap<TokenKey, TokenRecord>,
    pub faults: HashMap<SimEndpoint, VecDeque<FaultEntry>>,
    pub calls: VecDeque<RecordedCall>,
    pub next_call_seq: u64,
    pub next_grant_id: u64,
    /// Simulated instants of accepted resource calls in the last minute.
    pub minute_window: VecDeque<DateTime<Utc>>,
    /// e-Factura: messages, uploads, documents, daily limits and counters.
    pub efactura: Efactura,
}

/// The variants of ANAF's behaviour that sources disagree on, each a switch (`__sim/settings`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Variants {
    /// HTTP status of `invalid_client` (400 per most reports, 401 per some).
    pub invalid_client_status: u16,
    /// `error` code for an expired/revoked refresh token: `invalid_grant` or `invalid_request`.
    pub expired_refresh_error: String,
    /// How the JWT carries the roles.
    pub roles_claim: RolesClaim,
    pub access_token_lifetime_days: i64,
    /// When set, the token answer's `expires_in` (and the access token's real end) is this many
    /// seconds, whatever the JWT's `exp` says: a server that ends tokens before their `exp`.
    pub access_token_expires_in_seconds: Option<i64>,
    pub refresh_token_lifetime_days: i64,
    /// Whether a refresh gives the new refresh token a full lifetime (`true`) or keeps the old
    /// refresh token's expiry (`false`).
    pub refresh_restarts_lifetime: bool,
    /// Whether the token response carries a `scope` field.
    pub token_response_scope: bool,
}

impl Default for Variants {
    fn default() -> Self {
        Variants {
            invalid_client_status: 400,
            expired_refresh_error: "invalid_grant".to_string(),
            roles_claim: RolesClaim::Role,
            access_token_lifetime_days: 90,
            access_token_expires_in_seconds: None,
            refresh_token_lifetime_days: 365,
            refresh_restarts_lifetime: true,
            token_response_scope: false,
        }
    }
}

/// `role` = `HELLO, EFACTURA, ETRANSPORT, SRV_EFACTURA` or `roles` = `HELLO@EFACTURA@ETRANSPORT@SRV_EFACTURA`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RolesClaim {
    Role,
    Roles,
    Both,
}

/// SHA-256 of a token or code: the state never keeps a usable credential as a map key.
pub(crate) type TokenKey = [u8; 32];

pub(crate) fn token_key(secret: &str) -> TokenKey {
    Sha256::digest(secret.as_bytes()).into()
}

pub(crate) struct PendingCode {
    pub client_id: String,
    pub redirect_uri: String,
    pub certificate_serial: String,
    pub expires_at: DateTime<Utc>,
    pub code_challenge: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenKind {
    Access,
    Refresh,
}

pub(crate) struct TokenRecord {
    pub kind: TokenKind,
    pub jwt: bool,
    pub client_id: String,
    pub certificate_serial: String,
    pub expires_at: DateTime<Utc>,
    pub revoked: bool,
    /// The pair this token was issued in (revoking a refresh token revokes its pair's access token).
    pub grant_id: u64,
}

impl State {
    pub fn new(settings: SimulatorSettings) -> State {
        let efactura = Efactura::new(&settings, Utc::now());
        State {
            clients: settings.clients,
            certificates: default_certificates(),
            auto_approve: settings.auto_approve,
            refresh_mode: settings.refresh_mode,
            revoke_mode: settings.revoke_mode,
            lista_daily_limit_per_cif: settings.lista_daily_limit_per_cif,
            calls_per_minute_limit: settings.calls_per_minute_limit,
            call_log_capacity: settings.call_log_capacity,
            variants: Variants::default(),
            clock_offset_seconds: 0,
            codes: HashMap::new(),
            tokens: HashMap::new(),
            faults: HashMap::new(),
            calls: VecDeque::new(),
            next_call_seq: 1,
            next_grant_id: 1,
            minute_window: VecDeque::new(),
            efactura,
        }
    }

    /// The simulated clock.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::seconds(self.clock_offset_seconds)
    }

    pub fn find_client(&self, client_id: &str) -> Option<&RegisteredClient> {
        self.clients.iter().find(|c| c.client_id == client_id)
    }

    /// Serials match ignoring case and colons (`34:00:AB` = `3400ab`).
    pub fn find_certificate(&self, serial: &str) -> Option<&TestCertificate> {
        let wanted = normalize_serial(serial);
        self.certificates
            .iter()
            .find(|c| normalize_serial(&c.serial) == wanted)
    }

    pub fn record_call(&mut self, mut call: RecordedCall) {
        call.seq = self.next_call_seq;
        self.next_call_seq += 1;
        if self.calls.len() >= self.call_log_capacity {
            self.calls.pop_front();
        }
        self.calls.push_back(call);
    }

    pub fn prune_codes(&mut self) {
        let now = self.now();
        self.codes.retain(|_, c| c.expires_at > now);
    }
}

fn normalize_serial(serial: &str) -> String {
    serial
        .chars()
        .filter(|c| *c != ':' && !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

pub(crate) fn validate_client(client: &RegisteredClient) -> anyhow::Result<()> {
    if client.client_id.trim().is_empty() {
        anyhow::bail!("a registered client needs a non-empty client id");
    }
    if client.client_secret.is_empty() {
        anyhow::bail!(
            "client {:?} needs a non-empty client secret",
            client.client_id
        );
    }
    let parsed = url::Url::parse(&client.redirect_uri).map_err(|e| {
        anyhow::anyhow!(
            "client {:?}: redirect URI {:?} is not an absolute URL ({e})",
            client.client_id,
            client.redirect_uri
        )
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        anyhow::bail!(
            "client {:?}: redirect URI {:?} must be http:// or https://",
            client.client_id,
            client.redirect_uri
        );
    }
    Ok(())
}

/// A CIF as the simulator stores it: 1 to 10 digits.
pub(crate) fn validate_cif_digits(cif: &str) -> bool {
    !cif.is_empty() && cif.len() <= 10 && cif.bytes().all(|b| b.is_ascii_digit())
}

/// Keeps a short prefix of a secret followed by `…` (never the whole value).
pub(crate) fn mask(secret: &str) -> String {
    let prefix: String = secret.chars().take(6).collect();
    if secret.chars().count() <= 8 {
        "…".to_string()
    } else {
        format!("{prefix}…")
    }
}
