//! Storing, refreshing, revealing and deleting token pairs: the only code that touches secrets.
//! Every action it performs is recorded in the audit log here, once.
//!
//! A refresh is never lost to whoever asked for it giving up: it runs as its own task (on the
//! runtime the application was built on, which outlives the HTTP workers), waits up to
//! `ANAF_PORTAL_REFRESH_TIMEOUT` for ANAF, and saves ANAF's answer whenever it arrives; a caller waits as long
//! as it likes and otherwise learns that the refresh is still in progress. Within an instance,
//! callers of a refresh in flight share it; across instances a database lease decides, and a
//! refresh asked for shortly after a successful one returns that one's result.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, NaiveTime, TimeDelta, Utc};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::{Notify, watch};

use crate::anaf::client::{
    AnafClient, AnafError, Priority, RevokeOutcome, RightsVerdict, TokenResponse,
};
use crate::anaf::jwt::{JwtProblem, JwtReader};
use crate::db::models::call_counts;
use crate::db::models::companies::{self, Company};
use crate::db::models::now;
use crate::db::models::refresh_jobs::{self, ItemOutcome};
use crate::db::models::tokens::{
    self, AfterFailure, Detached, Lease, NewPair, PairFacts, SealedPair, SealedSecrets,
    StoreTokenError, TokenMeta, TokenSecrets,
};
use crate::db::{Db, write_transaction};
use crate::domain::{
    Actor, AuditAction, AuditEvent, Cif, RefreshPolicy, RefreshTokenClock, Rights, TokenState,
    refresh_due_after_refresh,
};
use crate::secrets::sha256_hex;
use crate::services::audit::AuditLog;
use crate::services::tokens::backoff::Backoff;
use crate::services::tokens::spool::{RecoverySpool, SpooledPair};
use crate::services::tokens::vault::{TokenField, TokenVault, VaultError};

/// A refresh asked for within this long after a successful one returns that one's result instead
/// of calling ANAF again (unless forced).
pub const RECENT_REFRESH: TimeDelta = TimeDelta::seconds(60);

/// A rights verdict stands this long before the engine probes again (a refresh probes anyway).
const RIGHTS_PROBE_EVERY: TimeDelta = TimeDelta::days(7);
/// After a probe that could not tell (ANAF down, the day's probes used), the next one.
const RIGHTS_PROBE_RETRY: TimeDelta = TimeDelta::days(1);
/// Rights probes of one CIF a day, whoever asks (ANAF allows 1,500 listings a day per CIF, and
/// they belong to the integrators).
const PROBES_PER_CIF_PER_DAY: i32 = 10;
/// After a connection, at most this many other CIFs are probed for the new token's rights.
const EXTENSION_PROBES: usize = 50;
/// A claimed probe not finished by then is claimed again.
const PROBE_CLAIM: TimeDelta = TimeDelta::minutes(10);

/// How long a refresh lease lasts: ANAF's longest wait and half as much again. A lease that runs
/// out unreleased means its holder died.
fn lease_length(refresh_timeout: Duration) -> TimeDelta {
    TimeDelta::from_std(refresh_timeout * 3 / 2).unwrap_or(TimeDelta::seconds(90))
}

/// Companies one press of "attach the offers" handles at most (each costs a call to ANAF).
pub const BULK_ATTACH: usize = 50;

/// What attaching the offers to a person's unserved companies came to, in companies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BulkAttach {
    pub attached: usize,
    /// Refused: people who cannot use the token today would gain it.
    pub need_consent: usize,
    /// ANAF did not confirm the rights (the offer was withdrawn) or did not answer.
    pub not_confirmed: usize,
    /// Past `BULK_ATTACH`: for the next press.
    pub left: usize,
}

impl BulkAttach {
    fn tried(&self) -> usize {
        self.attached + self.need_consent + self.not_confirmed
    }
}

/// What asking to attach an offered token came to.
#[derive(Debug, Clone)]
pub enum AttachOutcome {
    /// The rule held and ANAF was asked again: attached when granted, the offer withdrawn when not.
    Checked(RightsVerdict),
    /// Refused: these admins of the company (emails) cannot use the token today and would.
    WouldWiden(Vec<String>),
}

/// What went wrong inside the portal (not at ANAF) while handling a token.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TokenError {
    #[error("no such token")]
    NotFound,
    #[error("stored token {token_id} cannot be decrypted: {source}")]
    Unreadable { token_id: i64, source: VaultError },
    #[error("{0}")]
    Storage(Arc<anyhow::Error>),
}

impl From<anyhow::Error> for TokenError {
    fn from(e: anyhow::Error) -> Self {
        TokenError::Storage(Arc::new(e))
    }
}

impl TokenError {
    /// The storage error's cause, for classifying it (database unavailable or not).
    pub fn storage_cause(&self) -> Option<&anyhow::Error> {
        match self {
            TokenError::Storage(e) => Some(e),
            _ => None,
        }
    }
}

/// How a refresh ended, for the person or program that asked.
#[derive(Debug, Clone)]
pub enum RefreshOutcome {
    Refreshed(Box<TokenMeta>),
    /// ANAF refused the refresh token for good (`invalid_grant`): only a new Connect ANAF helps.
    /// `interrupted_at`: an earlier refresh began then and its answer was lost, which is why.
    ReconnectNeeded {
        error: AnafError,
        interrupted_at: Option<NaiveDateTime>,
    },
    /// A temporary failure known to have changed nothing (ANAF unreachable, refusing, limiting,
    /// an unusable answer); the token is unchanged.
    Failed(AnafError),
    /// ANAF did not answer in time, or the connection closed before its answer: ANAF may have
    /// replaced the pair. The next refresh tells.
    Unknown(AnafError),
    /// Another refresh of the same token, running at the same time elsewhere, failed with this.
    FailedElsewhere(String),
    /// ANAF answered with a new pair but the database would not take it: the pair waits in the
    /// recovery spool and is saved as soon as the database is back.
    Spooled,
    /// The caller stopped waiting; the refresh goes on and its result will be saved.
    InProgress,
    /// Saved without a refresh token (through the API): it cannot be refreshed.
    NoRefreshToken,
}

impl RefreshOutcome {
    /// Its name in the metrics.
    pub fn code(&self) -> &'static str {
        match self {
            RefreshOutcome::Refreshed(_) => "refreshed",
            RefreshOutcome::Spooled => "spooled",
            RefreshOutcome::ReconnectNeeded { .. } => "reconnect_needed",
            RefreshOutcome::Failed(_) => "failed",
            RefreshOutcome::Unknown(_) => "unknown",
            RefreshOutcome::FailedElsewhere(_) => "failed_elsewhere",
            RefreshOutcome::InProgress => "in_progress",
            RefreshOutcome::NoRefreshToken => "no_refresh_token",
        }
    }

    /// The audit log's entry for this outcome of a refresh of the token of `company_id`.
    pub fn audit_event(&self, token_id: i64, company_id: i64) -> AuditEvent {
        let failure =
            |detail: String| AuditEvent::failure(AuditAction::TokenRefreshFailed).detail(detail);
        let event = match self {
            RefreshOutcome::Refreshed(_) => AuditEvent::success(AuditAction::TokenRefreshed),
            RefreshOutcome::Spooled => AuditEvent::success(AuditAction::TokenRefreshed)
                .detail("saved to the recovery spool: the database was unavailable"),
            RefreshOutcome::ReconnectNeeded {
                error,
                interrupted_at: Some(at),
            } => failure(format!(
                "{error}; a refresh was interrupted at {} UTC and ANAF has already replaced this \
                 token",
                at.format("%Y-%m-%d %H:%M:%S")
            )),
            RefreshOutcome::ReconnectNeeded { error, .. } | RefreshOutcome::Failed(error) => {
                failure(error.to_string())
            }
            RefreshOutcome::Unknown(error) => failure(format!(
                "{error}; whether ANAF replaced the token is unknown"
            )),
            RefreshOutcome::FailedElsewhere(why) => failure(why.clone()),
            RefreshOutcome::InProgress => failure("still in progress".to_owned()),
            RefreshOutcome::NoRefreshToken => failure("no refresh token".to_owned()),
        };
        event.company(company_id).token(token_id)
    }
}

/// How a caller asks for a refresh.
#[derive(Debug, Clone, Copy)]
pub struct RefreshRequest {
    /// How long the caller waits for the outcome before it reads `InProgress`.
    pub wait: Duration,
    /// Call ANAF even when the token was refreshed in the last `RECENT_REFRESH`.
    pub force: bool,
}

/// What the callers of a refresh in flight wait on: `None` until it ends.
type FlightOutcome = watch::Receiver<Option<Result<RefreshOutcome, TokenError>>>;

/// The refreshes this instance is running: callers of the same token share one.
#[derive(Default)]
struct Flights {
    running: Mutex<HashMap<i64, FlightOutcome>>,
    /// How many refresh tasks are running, for a graceful shutdown.
    count: AtomicUsize,
    finished: Notify,
}

/// Why a new pair could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum StorePairError {
    #[error("{0}")]
    Jwt(JwtProblem),
    #[error("the access token has already expired")]
    Expired,
    #[error("this token is already stored")]
    Duplicate,
    #[error(transparent)]
    Storage(#[from] anyhow::Error),
}

/// One company a connection was asked for: the certificate's SPV rights on its CIF, and whether
/// the new token now serves it.
#[derive(Debug, Clone)]
pub struct Coverage {
    pub company: Company,
    pub verdict: RightsVerdict,
    pub served: bool,
}

/// What a connection for several companies did: the token it stored (none when the certificate
/// has rights for none of them), and each company's verdict, in the order asked.
#[derive(Debug, Clone)]
pub struct Connection {
    pub token: Option<TokenMeta>,
    pub companies: Vec<Coverage>,
}

fn coverage(
    companies: &[Company],
    verdicts: &HashMap<Cif, RightsVerdict>,
    served: &[i64],
) -> Vec<Coverage> {
    companies
        .iter()
        .map(|company| Coverage {
            company: company.clone(),
            verdict: verdicts
                .get(&company.cif)
                .cloned()
                .unwrap_or_else(|| RightsVerdict::Unknown("not checked".to_owned())),
            served: served.contains(&company.id),
        })
        .collect()
}

/// What ANAF answered to the revocation of a deleted token's two values. Both are revoked: not
/// every ANAF-like server revokes a pair's access token with its refresh token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revocation {
    pub access: RevokeOutcome,
    /// `None` when the token had no refresh token.
    pub refresh: Option<RevokeOutcome>,
}

impl Revocation {
    /// The audit log's words for it.
    pub fn audit_detail(&self) -> &'static str {
        use RevokeOutcome::{Confirmed, NotConfirmed};
        match (self.access, self.refresh) {
            (Confirmed, None | Some(Confirmed)) => "revoked at ANAF",
            (NotConfirmed, None | Some(NotConfirmed)) => "ANAF did not confirm revocation",
            (Confirmed, Some(NotConfirmed)) => "ANAF confirmed revoking the access token only",
            (NotConfirmed, Some(Confirmed)) => "ANAF confirmed revoking the refresh token only",
        }
    }
}

/// What the audit log says of a deleted token whose revocation had not answered yet.
pub const REVOCATION_PENDING: &str = "revocation asked of ANAF; no answer yet";

/// What detaching a token from a company did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detachment {
    /// The token goes on serving its other companies.
    StillServesOthers,
    /// That was its last company: deleted, and ANAF asked to revoke both its values; what ANAF
    /// answered, or `None` when it had not answered within the caller's wait (the revocation
    /// goes on in the background).
    Deleted(Option<Revocation>),
}

/// Why a Connect ANAF callback did not end with a stored token.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    Anaf(AnafError),
    #[error(transparent)]
    Store(#[from] StorePairError),
}

/// Whether the caller of a refresh holds the token's lease already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Leased {
    Yes,
    /// The refresh takes the lease; with a time, it calls ANAF only when no pair was saved after
    /// it (the caller saw none that recent, but another instance may have saved one since).
    No {
        unless_refreshed_after: Option<NaiveDateTime>,
    },
}

/// How a refresh failed, for what follows it.
#[derive(Debug, Clone, Copy)]
enum Failure {
    /// ANAF's final word (the refresh token is refused): reconnect.
    Final,
    /// Passing (with ANAF's `Retry-After` in seconds, when it sent one): try again later.
    Passing(Option<u64>),
}

#[derive(Clone)]
pub struct TokenService {
    db: Db,
    vault: Arc<TokenVault>,
    anaf: Arc<AnafClient>,
    jwt: Arc<JwtReader>,
    audit: AuditLog,
    spool: RecoverySpool,
    flights: Arc<Flights>,
    /// When a refresh that failed for a passing reason is tried again.
    backoff: Backoff,
    /// How early a pair falls due (`ANAF_PORTAL_REFRESH_AHEAD`).
    policy: RefreshPolicy,
    /// Where refresh tasks run: the runtime the application was built on.
    runtime: tokio::runtime::Handle,
}

fn naive(at: DateTime<Utc>) -> NaiveDateTime {
    at.naive_utc()
}

impl TokenService {
    pub fn new(
        db: Db,
        vault: Arc<TokenVault>,
        anaf: Arc<AnafClient>,
        jwt: Arc<JwtReader>,
        audit: AuditLog,
        spool: RecoverySpool,
        backoff: Backoff,
    ) -> Self {
        TokenService {
            db,
            vault,
            anaf,
            jwt,
            audit,
            spool,
            flights: Arc::default(),
            backoff,
            policy: RefreshPolicy::default(),
            runtime: tokio::runtime::Handle::current(),
        }
    }

    /// Pairs fall due as `policy` says (the default: 14 days ahead).
    pub fn with_refresh_policy(self, policy: RefreshPolicy) -> Self {
        TokenService { policy, ..self }
    }

    pub fn anaf(&self) -> &AnafClient {
        &self.anaf
    }

    /// The vault, for other secrets sealed like tokens (webhook signing secrets).
    pub fn vault(&self) -> &Arc<TokenVault> {
        &self.vault
    }

    pub fn jwt(&self) -> &JwtReader {
        &self.jwt
    }

    pub(crate) fn db(&self) -> &Db {
        &self.db
    }

    pub(crate) fn audit(&self) -> &AuditLog {
        &self.audit
    }

    /// Reads what the tokens say. The access token ends at the earlier of its JWT `exp` and
    /// the end the server's answer stated (`stated_expiry`, from `expires_in`): a server may end
    /// a token before its `exp`, and a portal that believed the `exp` would serve a dead token and
    /// refresh it too late. An opaque token (as ANAF's legacy ones are) has only the stated end;
    /// without either it cannot be stored. `replaced_refresh` is the expiry of the refresh token
    /// a refresh used: a new one that ends no later shows that refreshes do not move the date, and
    /// only a reconnect will.
    fn read_pair(
        &self,
        access: &SecretString,
        refresh: Option<&SecretString>,
        stated_expiry: Option<DateTime<Utc>>,
        replaced_refresh: Option<NaiveDateTime>,
    ) -> Result<PairFacts, StorePairError> {
        let obtained = Utc::now();
        let claims = match (self.jwt.read(access.expose_secret()), stated_expiry) {
            (Ok(mut claims), Some(stated)) => {
                claims.expires_at = claims.expires_at.min(stated);
                claims
            }
            (Ok(claims), None) => claims,
            (Err(JwtProblem::NotAJwt | JwtProblem::NoExpiry), Some(stated)) => {
                crate::anaf::jwt::TokenClaims {
                    expires_at: stated,
                    issued_at: Some(obtained),
                    certificate_serial: None,
                    certificate_issuer: None,
                    certificate_holder: None,
                }
            }
            (Err(problem), _) => return Err(StorePairError::Jwt(problem)),
        };
        // The refresh token's own clock when it is a JWT; never assumed (ANAF's lifetimes vary).
        let refresh_claims = refresh.and_then(|r| self.jwt.read(r.expose_secret()).ok());
        let refresh_expires_at = refresh_claims.as_ref().map(|c| naive(c.expires_at));
        let refresh_clock = match (refresh, refresh_expires_at, replaced_refresh) {
            (None, ..) => RefreshTokenClock::Missing,
            (Some(_), Some(expires_at), Some(before)) if expires_at <= before => {
                RefreshTokenClock::Fixed { expires_at }
            }
            (Some(_), expires_at, _) => RefreshTokenClock::Renewable {
                issued_at: refresh_claims.as_ref().and_then(|c| c.issued_at).map(naive),
                expires_at,
            },
        };
        let issued_at = naive(claims.issued_at.unwrap_or(obtained));
        let access_expires_at = naive(claims.expires_at);
        let plan = self
            .policy
            .plan(issued_at, access_expires_at, refresh_clock);
        Ok(PairFacts {
            fingerprint: sha256_hex(access.expose_secret()),
            access_expires_at,
            refresh_expires_at,
            issued_at: Some(issued_at),
            refresh_due_at: plan.due_at,
            reconnect_from: plan.reconnect.map(|w| w.from),
            reconnect_by: plan.reconnect.map(|w| w.by),
            certificate_serial: claims.certificate_serial,
            certificate_issuer: claims.certificate_issuer,
            certificate_holder: claims.certificate_holder,
        })
    }

    /// Both values of a pair sealed for token `token_id`'s row, with the current key.
    fn seal_for(
        vault: &TokenVault,
        token_id: i64,
        access: &SecretString,
        refresh: Option<&SecretString>,
    ) -> Result<SealedSecrets, VaultError> {
        Ok(SealedSecrets {
            key_id: vault.current_key().as_str().to_owned(),
            access_token_ciphertext: vault.seal(token_id, TokenField::Access, access)?,
            refresh_token_ciphertext: refresh
                .map(|r| vault.seal(token_id, TokenField::Refresh, r))
                .transpose()?,
        })
    }

    /// Stores a new pair as the token that serves the company. The token it replaces there keeps
    /// serving its other companies; when it served no other, it is deleted and revoked at ANAF.
    pub(crate) async fn store(
        &self,
        company_id: i64,
        pair: &TokenResponse,
        source: &'static str,
        created_by: Option<i64>,
    ) -> Result<TokenMeta, StorePairError> {
        let facts = self.read_pair(
            &pair.access_token,
            pair.refresh_token.as_ref(),
            pair.stated_expiry,
            None,
        )?;
        if facts.access_expires_at <= now() {
            return Err(StorePairError::Expired);
        }
        let replaced = self.secrets_of_company(company_id).await;
        let (vault, access, refresh) = (
            self.vault.clone(),
            pair.access_token.clone(),
            pair.refresh_token.clone(),
        );
        let stored = self
            .db
            .run(move |conn| {
                // Sealed inside the transaction that inserts the row: the values are bound to
                // its id, which only the insert knows.
                let seal = |token_id| {
                    Self::seal_for(&vault, token_id, &access, refresh.as_ref())
                        .map_err(|e| e.to_string())
                };
                let new = NewPair {
                    facts: &facts,
                    has_refresh_token: refresh.is_some(),
                    seal: &seal,
                };
                Ok(tokens::replace_for_company(
                    conn, company_id, new, source, created_by,
                ))
            })
            .await?;
        let stored = match stored {
            Ok(stored) => stored,
            Err(StoreTokenError::Duplicate) => return Err(StorePairError::Duplicate),
            Err(e @ StoreTokenError::Seal(_)) => return Err(StorePairError::Storage(e.into())),
            Err(StoreTokenError::Database(e)) => return Err(StorePairError::Storage(e.into())),
        };
        // The grant this one replaces is no longer used by anyone: revoke it too.
        if let Some(old) = replaced.filter(|old| Some(old.id) == stored.orphaned) {
            self.revoke_sealed_in_background(&old);
        }
        Ok(stored.meta)
    }

    /// Asks ANAF to revoke both values of a stored pair that was just deleted, without waiting
    /// for its answer.
    fn revoke_sealed_in_background(&self, old: &TokenSecrets) {
        let access = self.open(old, TokenField::Access).ok().flatten();
        let refresh = self.open(old, TokenField::Refresh).ok().flatten();
        drop(self.spawn_revocation(old.id, access, refresh));
    }

    /// Asks ANAF, in a task of its own, to revoke the access and the refresh token (at once; a
    /// value that could not be read is skipped and counts as not confirmed). The task goes on
    /// whoever waits for it (the ANAF budget may hold it for up to a minute); the receiver gets
    /// ANAF's answers.
    fn spawn_revocation(
        &self,
        token_id: i64,
        access: Option<SecretString>,
        refresh: Option<SecretString>,
    ) -> tokio::sync::oneshot::Receiver<Revocation> {
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let anaf = self.anaf.clone();
        self.runtime.spawn(async move {
            let revoke = |token: Option<SecretString>, hint: &'static str| {
                let anaf = anaf.clone();
                async move {
                    match token {
                        Some(token) => anaf.revoke(&token, hint).await,
                        None => RevokeOutcome::NotConfirmed,
                    }
                }
            };
            let has_refresh = refresh.is_some();
            let (access, refresh) = tokio::join!(
                revoke(access, "access_token"),
                revoke(refresh, "refresh_token")
            );
            let revocation = Revocation {
                access,
                refresh: has_refresh.then_some(refresh),
            };
            tracing::info!(token_id, access = ?revocation.access, refresh = ?revocation.refresh, "ANAF's answers to revoking a token the portal no longer keeps");
            let _ = sender.send(revocation);
        });
        receiver
    }

    /// Completes a Connect ANAF: exchanges the code, stores the pair for `company` and probes its
    /// SPV rights on the company's CIF. Audited either way.
    pub async fn connect(
        &self,
        actor: &Actor,
        company: &Company,
        code: &str,
        code_verifier: Option<&str>,
    ) -> Result<(TokenMeta, RightsVerdict), ConnectError> {
        let result = self
            .exchange_and_store(actor, company, code, code_verifier)
            .await;
        let event = match &result {
            Ok((meta, verdict)) => AuditEvent::success(AuditAction::ConnectSucceeded)
                .token(meta.id)
                .detail(match verdict {
                    RightsVerdict::Granted => "SPV rights confirmed".to_owned(),
                    RightsVerdict::Denied(text) => format!("no SPV rights: {text}"),
                    RightsVerdict::Unknown(text) => format!("rights unknown: {text}"),
                }),
            Err(error) => AuditEvent::failure(AuditAction::ConnectFailed).detail(error.to_string()),
        };
        self.audit.record(actor, event.company(company.id)).await;
        result
    }

    /// Completes a connection asked for several companies at once (an authorization link):
    /// exchanges the code once, probes the certificate's SPV rights on each company's CIF (one
    /// probe per CIF), and stores the pair for the companies it has rights for. A pair with
    /// rights for none of them is not kept (ANAF is asked to revoke it). Audited either way.
    pub async fn connect_companies(
        &self,
        actor: &Actor,
        companies: &[Company],
        code: &str,
        code_verifier: Option<&str>,
    ) -> Result<Connection, ConnectError> {
        let result = self
            .exchange_for_companies(companies, code, code_verifier, actor.user_id)
            .await;
        let mut event = match &result {
            Ok(connection) => {
                let covered: Vec<&str> = connection
                    .companies
                    .iter()
                    .filter(|c| c.verdict == RightsVerdict::Granted)
                    .map(|c| c.company.cif.as_str())
                    .collect();
                AuditEvent::success(AuditAction::ConnectSucceeded).detail(format!(
                    "SPV rights for {} of {} companies: {}",
                    covered.len(),
                    connection.companies.len(),
                    covered.join(", ")
                ))
            }
            Err(error) => AuditEvent::failure(AuditAction::ConnectFailed).detail(error.to_string()),
        };
        // In the history of the company the token was stored for, else of the first asked for.
        let stored = result.as_ref().ok().and_then(|c| c.token.as_ref());
        if let Some(token) = stored {
            event = event.token(token.id);
        }
        if let Some(company_id) = stored
            .map(|t| t.company_id)
            .or(companies.first().map(|c| c.id))
        {
            event = event.company(company_id);
        }
        self.audit.record(actor, event).await;
        result
    }

    async fn exchange_for_companies(
        &self,
        companies: &[Company],
        code: &str,
        code_verifier: Option<&str>,
        created_by: Option<i64>,
    ) -> Result<Connection, ConnectError> {
        let pair = self
            .anaf
            .exchange_code(code, code_verifier)
            .await
            .map_err(ConnectError::Anaf)?;
        let mut verdicts: HashMap<Cif, RightsVerdict> = HashMap::new();
        for company in companies {
            if !verdicts.contains_key(&company.cif) {
                let verdict = self
                    .probe_cif(&pair.access_token, &company.cif)
                    .await
                    .map_err(StorePairError::Storage)?;
                verdicts.insert(company.cif.clone(), verdict);
            }
        }
        let covered = |c: &&Company| verdicts.get(&c.cif) == Some(&RightsVerdict::Granted);
        let Some(home) = companies.iter().find(covered) else {
            self.revoke_in_background(&pair);
            return Ok(Connection {
                token: None,
                companies: coverage(companies, &verdicts, &[]),
            });
        };
        let meta = match self.store(home.id, &pair, "oauth", created_by).await {
            Ok(meta) => meta,
            Err(error) => {
                if matches!(error, StorePairError::Jwt(_) | StorePairError::Expired) {
                    self.revoke_in_background(&pair);
                }
                return Err(error.into());
            }
        };
        self.record_rights(meta.id, &home.cif, &RightsVerdict::Granted)
            .await
            .map_err(StorePairError::Storage)?;
        let mut served = vec![home.id];
        for company in companies.iter().filter(covered) {
            if company.id != home.id {
                self.attach(meta.id, company, created_by)
                    .await
                    .map_err(StorePairError::Storage)?;
                served.push(company.id);
            }
        }
        self.extend_in_background(meta.id, pair.access_token.clone(), served.clone());
        Ok(Connection {
            companies: coverage(companies, &verdicts, &served),
            token: Some(meta),
        })
    }

    /// Makes token `token_id` serve `company` (ANAF confirmed its certificate's rights there) and
    /// records the verdict. The token that served the company before is revoked when no company
    /// uses it any more.
    async fn attach(
        &self,
        token_id: i64,
        company: &Company,
        by: Option<i64>,
    ) -> Result<(), anyhow::Error> {
        let company_id = company.id;
        let replaced = self.secrets_of_company(company_id).await;
        let orphaned = self
            .db
            .run(move |conn| {
                Ok(tokens::attach(
                    conn,
                    token_id,
                    company_id,
                    Rights::Granted,
                    by,
                )?)
            })
            .await?;
        if let Some(old) = replaced.filter(|old| Some(old.id) == orphaned) {
            self.revoke_sealed_in_background(&old);
        }
        self.record_rights(token_id, &company.cif, &RightsVerdict::Granted)
            .await
    }

    /// A person attaches a token offered to one of their companies (its certificate was seen to
    /// have rights there). Allowed only when it gives the token to nobody new: every admin of the
    /// company can use it already through a company it serves. Otherwise only the certificate
    /// holder's new consent (a Connect ANAF for this company) can. The verdict is confirmed
    /// with ANAF first. Audited.
    pub async fn attach_offered(
        &self,
        actor: &Actor,
        token_id: i64,
        company: &Company,
    ) -> Result<AttachOutcome, TokenError> {
        let company_id = company.id;
        let newcomers = self
            .db
            .run(move |conn| {
                Ok(tokens::newcomers(conn, company_id, &[token_id])?
                    .remove(&token_id)
                    .unwrap_or_default())
            })
            .await?;
        if !newcomers.is_empty() {
            self.audit
                .record(
                    actor,
                    AuditEvent::failure(AuditAction::TokenAttached)
                        .company(company_id)
                        .token(token_id)
                        .detail(format!(
                            "refused: would give the token to {} who cannot use it today",
                            newcomers.join(", ")
                        )),
                )
                .await;
            return Ok(AttachOutcome::WouldWiden(newcomers));
        }
        let secrets = self.secrets(token_id).await?;
        let access = self
            .open(&secrets, TokenField::Access)?
            .ok_or(TokenError::NotFound)?;
        let verdict = self.probe_cif(&access, &company.cif).await?;
        if verdict == RightsVerdict::Granted {
            self.attach(token_id, company, actor.user_id).await?;
        } else {
            // The offer no longer holds.
            self.db
                .run(move |conn| Ok(tokens::withdraw_offer(conn, token_id, company_id)?))
                .await?;
        }
        let event = match &verdict {
            RightsVerdict::Granted => AuditEvent::success(AuditAction::TokenAttached),
            RightsVerdict::Denied(text) | RightsVerdict::Unknown(text) => {
                AuditEvent::failure(AuditAction::TokenAttached).detail(text.clone())
            }
        };
        self.audit
            .record(actor, event.company(company_id).token(token_id))
            .await;
        Ok(AttachOutcome::Checked(verdict))
    }

    /// Attaches, for a person, an offered token to each of the companies they administer that no
    /// working token serves (at most `BULK_ATTACH` companies a press, one offer each), under the
    /// same rule and checks as `attach_offered`. What came of it.
    pub async fn attach_offers_to_unserved(
        &self,
        actor: &Actor,
        user_id: i64,
    ) -> Result<BulkAttach, TokenError> {
        let offers = self
            .db
            .run(move |conn| Ok(tokens::offers_to_administered(conn, user_id, 1_000)?))
            .await?;
        let at = now();
        let mut summary = BulkAttach::default();
        let mut seen = std::collections::HashSet::new();
        for (company, token_id, current) in offers {
            let works = current.is_some_and(|token| token.facts().status(at).works());
            if works || !seen.insert(company.id) {
                continue;
            }
            if summary.tried() >= BULK_ATTACH {
                summary.left += 1;
                continue;
            }
            match self.attach_offered(actor, token_id, &company).await? {
                AttachOutcome::Checked(RightsVerdict::Granted) => summary.attached += 1,
                AttachOutcome::Checked(_) => summary.not_confirmed += 1,
                AttachOutcome::WouldWiden(_) => summary.need_consent += 1,
            }
        }
        Ok(summary)
    }

    /// After a connection: asks ANAF whether the certificate also has SPV rights for the other
    /// companies of the company admins of `served` (one probe per CIF, at most
    /// `EXTENSION_PROBES`, at the background's priority under the ANAF budget), and offers the
    /// token where it has. It never attaches: the holder consented to the companies the
    /// connection was started for, and a person decides on each offer.
    fn extend_in_background(&self, token_id: i64, access: SecretString, served: Vec<i64>) {
        let service = self.clone();
        self.runtime.spawn(async move {
            let extended = Priority::Background
                .scope(service.extend(token_id, &access, served))
                .await;
            if let Err(error) = extended {
                tracing::error!(token_id, error = %error, "the rights of a new token for other companies could not be checked");
            }
        });
    }

    async fn extend(
        &self,
        token_id: i64,
        access: &SecretString,
        served: Vec<i64>,
    ) -> Result<(), anyhow::Error> {
        let candidates = self
            .db
            .run(move |conn| Ok(companies::of_fellow_admins(conn, &served)?))
            .await?;
        let mut verdicts: HashMap<Cif, RightsVerdict> = HashMap::new();
        for (company, current) in candidates {
            if !verdicts.contains_key(&company.cif) {
                if verdicts.len() >= EXTENSION_PROBES {
                    break;
                }
                let verdict = self.probe_cif(access, &company.cif).await?;
                verdicts.insert(company.cif.clone(), verdict);
            }
            let served_already = current.as_ref().is_some_and(|token| token.id == token_id);
            if verdicts.get(&company.cif) == Some(&RightsVerdict::Granted) && !served_already {
                let company_id = company.id;
                self.db
                    .run(move |conn| Ok(tokens::offer(conn, token_id, company_id)?))
                    .await?;
            }
        }
        Ok(())
    }

    async fn exchange_and_store(
        &self,
        actor: &Actor,
        company: &Company,
        code: &str,
        code_verifier: Option<&str>,
    ) -> Result<(TokenMeta, RightsVerdict), ConnectError> {
        let pair = self
            .anaf
            .exchange_code(code, code_verifier)
            .await
            .map_err(ConnectError::Anaf)?;
        let meta = match self.store(company.id, &pair, "oauth", actor.user_id).await {
            Ok(meta) => meta,
            Err(error) => {
                // A pair the portal refuses is of no use to anyone: ask ANAF to revoke it.
                if matches!(error, StorePairError::Jwt(_) | StorePairError::Expired) {
                    self.revoke_in_background(&pair);
                }
                return Err(error.into());
            }
        };
        let verdict = self
            .check_rights(meta.id, &pair.access_token, &company.cif)
            .await
            .map_err(StorePairError::Storage)?;
        self.extend_in_background(meta.id, pair.access_token.clone(), vec![company.id]);
        Ok((meta, verdict))
    }

    /// Probes ANAF for the token's SPV rights on `cif` and records the verdict. Whoever asks, a
    /// CIF gets at most `PROBES_PER_CIF_PER_DAY` probes a day (the listing quota belongs to the
    /// integrators); past them no probe is made and the verdict before stands until the next
    /// day's.
    pub(crate) async fn check_rights(
        &self,
        token_id: i64,
        access: &SecretString,
        cif: &Cif,
    ) -> Result<RightsVerdict, anyhow::Error> {
        let verdict = self.probe_cif(access, cif).await?;
        self.record_rights(token_id, cif, &verdict).await?;
        Ok(verdict)
    }

    /// Asks ANAF whether `access` has SPV rights on `cif`, within the CIF's daily probes.
    async fn probe_cif(
        &self,
        access: &SecretString,
        cif: &Cif,
    ) -> Result<RightsVerdict, anyhow::Error> {
        let counter = call_counts::rights_probes(cif.as_str());
        let allowed = self
            .db
            .run(move |conn| {
                let day = now().date().and_time(NaiveTime::MIN);
                Ok(write_transaction(conn, |conn| {
                    call_counts::count_below(conn, &counter, day, PROBES_PER_CIF_PER_DAY)
                })?)
            })
            .await?;
        let verdict = match allowed {
            true => self.anaf.probe_rights(access, cif).await,
            false => RightsVerdict::Unknown(format!(
                "the {PROBES_PER_CIF_PER_DAY} rights checks of today for this CIF are used; \
                 the next is tomorrow"
            )),
        };
        Ok(verdict)
    }

    /// Records a verdict: a known one stands for `RIGHTS_PROBE_EVERY`, an unknown one is probed
    /// again after `RIGHTS_PROBE_RETRY` and leaves the verdict before it standing.
    pub(crate) async fn record_rights(
        &self,
        token_id: i64,
        cif: &Cif,
        verdict: &RightsVerdict,
    ) -> Result<(), anyhow::Error> {
        let verdict = verdict.clone();
        let cif = cif.clone();
        self.db
            .run(move |conn| {
                let at = now();
                match verdict {
                    RightsVerdict::Granted => tokens::record_rights(
                        conn,
                        token_id,
                        &cif,
                        Rights::Granted,
                        None,
                        at + RIGHTS_PROBE_EVERY,
                    )?,
                    RightsVerdict::Denied(text) => tokens::record_rights(
                        conn,
                        token_id,
                        &cif,
                        Rights::Denied,
                        Some(&text),
                        at + RIGHTS_PROBE_EVERY,
                    )?,
                    RightsVerdict::Unknown(text) => tokens::record_rights_unknown(
                        conn,
                        token_id,
                        &cif,
                        &text,
                        at + RIGHTS_PROBE_RETRY,
                    )?,
                };
                Ok(())
            })
            .await?;
        Ok(())
    }

    /// Claims up to `limit` (token, CIF) pairs whose weekly rights probe is due (`probe_claimed`
    /// runs it).
    pub async fn claim_probes(&self, limit: i64) -> Result<Vec<(i64, Cif)>, TokenError> {
        Ok(self
            .db
            .run(move |conn| {
                let at = now();
                Ok(tokens::claim_probes(conn, at, at + PROBE_CLAIM, limit)?)
            })
            .await?)
    }

    /// Runs the scheduled rights probe of a token `claim_probes` returned, at the background's
    /// priority.
    pub async fn probe_claimed(
        &self,
        token_id: i64,
        cif: &Cif,
    ) -> Result<RightsVerdict, TokenError> {
        let secrets = self.secrets(token_id).await?;
        let access = self
            .open(&secrets, TokenField::Access)?
            .ok_or(TokenError::NotFound)?;
        Ok(Priority::Background
            .scope(self.check_rights(token_id, &access, cif))
            .await?)
    }

    fn open(
        &self,
        secrets: &TokenSecrets,
        field: TokenField,
    ) -> Result<Option<SecretString>, TokenError> {
        let sealed = match field {
            TokenField::Access => Some(&secrets.access_token_ciphertext),
            TokenField::Refresh => secrets.refresh_token_ciphertext.as_ref(),
        };
        sealed
            .map(|s| self.vault.open(&secrets.key_id, secrets.id, field, s))
            .transpose()
            .map_err(|source| TokenError::Unreadable {
                token_id: secrets.id,
                source,
            })
    }

    async fn secrets(&self, token_id: i64) -> Result<TokenSecrets, TokenError> {
        self.db
            .run(move |conn| Ok(tokens::load_secrets(conn, token_id)?))
            .await?
            .ok_or(TokenError::NotFound)
    }

    /// The decrypted access token, for a company admin who asked to see it; audited.
    pub async fn reveal_access_token(
        &self,
        actor: &Actor,
        token_id: i64,
    ) -> Result<SecretString, TokenError> {
        let secrets = self.secrets(token_id).await?;
        let token = self
            .open(&secrets, TokenField::Access)?
            .ok_or(TokenError::NotFound)?;
        self.audit
            .record(
                actor,
                AuditEvent::success(AuditAction::TokenRevealed)
                    .company(secrets.company_id)
                    .token(token_id),
            )
            .await;
        Ok(token)
    }

    /// Refreshes a token, audited, and returns what became of it within `request.wait`
    /// (`InProgress` after that; the refresh goes on). See the module comment.
    pub async fn refresh(
        &self,
        actor: &Actor,
        token_id: i64,
        request: RefreshRequest,
    ) -> Result<RefreshOutcome, TokenError> {
        let meta = self.meta(token_id).await?;
        let recent_since = now() - RECENT_REFRESH;
        let recent = meta.last_refreshed_at.is_some_and(|at| at > recent_since);
        if recent && !request.force {
            return Ok(RefreshOutcome::Refreshed(Box::new(meta)));
        }
        let leased = Leased::No {
            unless_refreshed_after: (!request.force).then_some(recent_since),
        };
        let mut outcome = self.join_or_start(actor, token_id, leased);
        let finished = tokio::time::timeout(request.wait, outcome.wait_for(Option::is_some)).await;
        match finished {
            Ok(Ok(done)) => done.clone().unwrap_or(Ok(RefreshOutcome::InProgress)),
            // The task ended without a word (the runtime is shutting down).
            Ok(Err(_)) => Ok(RefreshOutcome::InProgress),
            Err(_) => Ok(RefreshOutcome::InProgress),
        }
    }

    /// Takes the refresh lease of up to `limit` due tokens (most overdue first), for
    /// `refresh_claimed`. Other instances claiming at the same time get other tokens.
    pub async fn claim_due(&self, limit: i64) -> Result<Vec<i64>, TokenError> {
        let length = lease_length(self.anaf.endpoints().refresh_timeout);
        Ok(self
            .db
            .run(move |conn| {
                let at = now();
                Ok(tokens::claim_due(conn, at, at + length, limit)?)
            })
            .await?)
    }

    /// Refreshes a token whose lease the caller has taken (`claim_due`), as the refresh engine
    /// does, and waits for the outcome. Failures are audited once a day per token.
    pub async fn refresh_claimed(&self, token_id: i64) -> Result<RefreshOutcome, TokenError> {
        let mut outcome = self.join_or_start(&Actor::system(), token_id, Leased::Yes);
        match outcome.wait_for(Option::is_some).await {
            Ok(done) => done.clone().unwrap_or(Ok(RefreshOutcome::InProgress)),
            Err(_) => Ok(RefreshOutcome::InProgress),
        }
    }

    /// The outcome of this instance's refresh of the token in flight, or of a new one.
    fn join_or_start(&self, actor: &Actor, token_id: i64, leased: Leased) -> FlightOutcome {
        let mut running = self
            .flights
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(outcome) = running.get(&token_id) {
            return outcome.clone();
        }
        let (sender, receiver) = watch::channel(None);
        running.insert(token_id, receiver.clone());
        self.flights.count.fetch_add(1, Ordering::SeqCst);
        let service = self.clone();
        let actor = actor.clone();
        self.runtime.spawn(async move {
            // The portal's own refreshes are paced by the ANAF budget; people go first.
            let priority = match actor.is_system() {
                true => Priority::Background,
                false => Priority::Person,
            };
            let outcome = priority.scope(service.refresh_once(token_id, leased)).await;
            crate::metrics::refresh_finished(match &outcome {
                Ok(outcome) => outcome.code(),
                Err(_) => "error",
            });
            if let Ok(outcome) = &outcome
                && !matches!(outcome, RefreshOutcome::InProgress)
                && service.worth_auditing(&actor, token_id, outcome).await
                && let Ok(served) = service
                    .db
                    .run(move |conn| Ok(tokens::served_companies(conn, token_id)?))
                    .await
            {
                for company in served {
                    service
                        .audit
                        .record(&actor, outcome.audit_event(token_id, company.id))
                        .await;
                }
            }
            if let Err(error) = &outcome {
                tracing::error!(token_id, error = %error, "refresh failed in the portal");
            }
            service
                .flights
                .running
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&token_id);
            let _ = sender.send(Some(outcome));
            service.flights.count.fetch_sub(1, Ordering::SeqCst);
            service.flights.finished.notify_waiters();
        });
        receiver
    }

    /// Waits until every refresh this instance started has ended, at most `limit` (a graceful
    /// shutdown: ANAF's answers are saved, not dropped).
    pub async fn drain(&self, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let finished = self.flights.finished.notified();
            let running = self.flights.count.load(Ordering::SeqCst);
            if running == 0 {
                return;
            }
            tracing::info!(running, "waiting for refreshes in flight");
            if tokio::time::timeout_at(deadline, finished).await.is_err() {
                tracing::warn!(running, "refreshes still in flight at shutdown");
                return;
            }
        }
    }

    /// One refresh of the token: takes the lease unless the caller holds it (or waits for
    /// whoever holds it), calls ANAF and saves its answer.
    async fn refresh_once(
        &self,
        token_id: i64,
        leased: Leased,
    ) -> Result<RefreshOutcome, TokenError> {
        let started = now();
        if let Leased::No {
            unless_refreshed_after,
        } = leased
        {
            if let Some(outcome) = self.take_lease(token_id, started).await? {
                return Ok(outcome);
            }
            // Another instance may have saved a pair between the caller's look and this lease.
            if let Some(after) = unless_refreshed_after {
                let meta = self.meta(token_id).await?;
                if meta.last_refreshed_at.is_some_and(|at| at > after) {
                    self.db
                        .run(move |conn| Ok(tokens::release_lease(conn, token_id)?))
                        .await?;
                    return Ok(RefreshOutcome::Refreshed(Box::new(meta)));
                }
            }
        }
        let secrets = self.secrets(token_id).await?;
        let refresh_token = match self.open(&secrets, TokenField::Refresh) {
            Ok(Some(token)) => token,
            Ok(None) => {
                self.release_with_failure(
                    token_id,
                    "no refresh token stored",
                    Failure::Passing(None),
                )
                .await?;
                return Ok(RefreshOutcome::NoRefreshToken);
            }
            Err(e) => {
                self.release_with_failure(
                    token_id,
                    "stored token could not be decrypted",
                    Failure::Passing(None),
                )
                .await?;
                return Err(e);
            }
        };

        let response: TokenResponse = match self.anaf.refresh(&refresh_token).await {
            Ok(response) => response,
            Err(error) if error.outcome_unknown() => {
                let message = format!("{error}; whether ANAF replaced the token is unknown");
                let after = self.after_failure(token_id, Failure::Passing(None)).await?;
                self.db
                    .run(move |conn| {
                        Ok(tokens::record_refresh_unknown(
                            conn, token_id, &message, started, after,
                        )?)
                    })
                    .await?;
                return Ok(RefreshOutcome::Unknown(error));
            }
            Err(error @ AnafError::InvalidGrant(_)) => {
                let interrupted_at = self.meta(token_id).await?.refresh_interrupted_at;
                let message = match interrupted_at {
                    Some(at) => format!(
                        "{error}; a refresh was interrupted at {} UTC and ANAF has already \
                         replaced this token",
                        at.format("%Y-%m-%d %H:%M:%S")
                    ),
                    None => error.to_string(),
                };
                self.release_with_failure(token_id, &message, Failure::Final)
                    .await?;
                return Ok(RefreshOutcome::ReconnectNeeded {
                    error,
                    interrupted_at,
                });
            }
            Err(error) => {
                let retry_after = match &error {
                    AnafError::RateLimited(seconds) => *seconds,
                    _ => None,
                };
                self.release_with_failure(
                    token_id,
                    &error.to_string(),
                    Failure::Passing(retry_after),
                )
                .await?;
                return Ok(RefreshOutcome::Failed(error));
            }
        };
        let obtained_at = now();

        // Persist the new pair before anything else; keep the old refresh token only when ANAF
        // sent none.
        let new_refresh = response.refresh_token.as_ref().unwrap_or(&refresh_token);
        let read = self.read_pair(
            &response.access_token,
            Some(new_refresh),
            response.stated_expiry,
            self.jwt
                .read(refresh_token.expose_secret())
                .ok()
                .map(|c| naive(c.expires_at)),
        );
        let sealed = match read {
            Ok(mut facts) => {
                facts.refresh_due_at = refresh_due_after_refresh(
                    facts.refresh_due_at,
                    obtained_at,
                    facts.access_expires_at,
                );
                let secrets = Self::seal_for(
                    &self.vault,
                    token_id,
                    &response.access_token,
                    Some(new_refresh),
                )
                .map_err(|e| TokenError::from(anyhow::Error::from(e)))?;
                SealedPair::new(secrets, facts)
            }
            Err(StorePairError::Jwt(problem)) => {
                let error = AnafError::UnusableToken(problem);
                self.release_with_failure(token_id, &error.to_string(), Failure::Passing(None))
                    .await?;
                self.revoke_in_background(&response);
                return Ok(RefreshOutcome::Failed(error));
            }
            Err(other) => return Err(TokenError::from(anyhow::Error::from(other))),
        };
        let spooled = SpooledPair {
            token_id,
            obtained_at,
            pair: sealed,
            bound_to_token: true,
        };
        match self.save(spooled.clone()).await {
            Ok(1) => {}
            // Deleted meanwhile: deleting wins, and the new pair is of no use to anyone.
            Ok(_) => {
                self.revoke_in_background(&response);
                return Err(TokenError::NotFound);
            }
            Err(error) => {
                tracing::error!(token_id, error = %error, "a refreshed pair could not be saved; keeping it in the recovery spool");
                if let Err(e) = self.spool.put(&spooled) {
                    tracing::error!(token_id, error = %e, "the recovery spool could not be written either: this pair is lost");
                    return Err(TokenError::from(error));
                }
                self.keep_replaying_spool();
                return Ok(RefreshOutcome::Spooled);
            }
        }

        // One rights probe per CIF served after each refresh keeps the verdicts current at no
        // real cost to the quota.
        let mut cifs: Vec<Cif> = self
            .db
            .run(move |conn| Ok(tokens::served_companies(conn, token_id)?))
            .await?
            .into_iter()
            .map(|company| company.cif)
            .collect();
        cifs.dedup();
        for cif in &cifs {
            self.check_rights(token_id, &response.access_token, cif)
                .await?;
        }
        Ok(RefreshOutcome::Refreshed(Box::new(
            self.meta(token_id).await?,
        )))
    }

    /// Takes the token's refresh lease. Whoever holds it refreshes: when another refresh holds
    /// it, waits and returns what that one recorded; a holder that died leaves the lease to run
    /// out, and then this caller takes over (`try_lease_refresh` notes the interruption).
    async fn take_lease(
        &self,
        token_id: i64,
        started: NaiveDateTime,
    ) -> Result<Option<RefreshOutcome>, TokenError> {
        let refresh_timeout = self.anaf.endpoints().refresh_timeout;
        loop {
            let lease = self
                .db
                .run(move |conn| {
                    let at = now();
                    Ok(tokens::try_lease_refresh(
                        conn,
                        token_id,
                        at,
                        at + lease_length(refresh_timeout),
                    )?)
                })
                .await?;
            match lease {
                Lease::Gone => return Err(TokenError::NotFound),
                Lease::Taken => return Ok(None),
                Lease::Held => {
                    if let Some(outcome) = self.await_other_refresh(token_id, started).await? {
                        return Ok(Some(outcome));
                    }
                }
            }
        }
    }

    /// Writes a pair ANAF issued (see `tokens::save_refreshed`): 1 when it was written.
    async fn save(&self, entry: SpooledPair) -> anyhow::Result<usize> {
        self.db
            .run(move |conn| {
                Ok(tokens::save_refreshed(
                    conn,
                    entry.token_id,
                    &entry.pair,
                    entry.obtained_at,
                )?)
            })
            .await
    }

    /// Saves what waits in the recovery spool; how many pairs were written. Stops at the first
    /// database error (it is still down) and leaves the rest for the next try.
    pub async fn replay_spool(&self) -> Result<usize, TokenError> {
        let mut written = 0;
        for entry in self.spool.entries() {
            let token_id = entry.token_id;
            let entry = match entry.bound_to_token {
                true => entry,
                false => match self.rebind_spooled(entry).await? {
                    Some(entry) => entry,
                    None => {
                        self.spool.remove(token_id);
                        continue;
                    }
                },
            };
            if self.save(entry).await? == 1 {
                tracing::info!(
                    token_id,
                    "a refreshed pair from the recovery spool was saved"
                );
                written += 1;
            } else {
                tracing::info!(
                    token_id,
                    "a spooled pair no longer applies (token deleted or newer)"
                );
            }
            self.spool.remove(token_id);
        }
        Ok(written)
    }

    /// A spool entry written before values were bound to token ids, sealed again for its token
    /// (the spool is the portal's own file, not the database, so its old binding is trusted
    /// here). `None` when the token is gone or the entry does not open.
    async fn rebind_spooled(
        &self,
        mut entry: SpooledPair,
    ) -> Result<Option<SpooledPair>, TokenError> {
        let token_id = entry.token_id;
        let Some(secrets) = self
            .db
            .run(move |conn| Ok(tokens::load_secrets(conn, token_id)?))
            .await?
        else {
            return Ok(None);
        };
        let pair = &entry.pair;
        let open = |field, sealed: &str| {
            self.vault
                .open_legacy(&pair.key_id, secrets.company_id, field, sealed)
        };
        let access = open(TokenField::Access, &pair.access_token_ciphertext);
        let refresh = pair
            .refresh_token_ciphertext
            .as_deref()
            .map(|r| open(TokenField::Refresh, r))
            .transpose();
        let (Ok(access), Ok(refresh)) = (access, refresh) else {
            tracing::error!(token_id, "a recovery spool entry does not open; dropped");
            return Ok(None);
        };
        let secrets = Self::seal_for(&self.vault, token_id, &access, refresh.as_ref())
            .map_err(|e| TokenError::from(anyhow::Error::from(e)))?;
        entry.pair = SealedPair::new(secrets, entry.pair.facts);
        entry.bound_to_token = true;
        Ok(Some(entry))
    }

    /// Retries the spool every few seconds until it is empty (the database is back).
    fn keep_replaying_spool(&self) {
        let service = self.clone();
        self.runtime.spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(3)).await;
                match service.replay_spool().await {
                    Ok(_) if service.spool.entries().is_empty() => return,
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "recovery spool: the database is still unavailable"),
                }
            }
        });
    }

    async fn meta(&self, token_id: i64) -> Result<TokenMeta, TokenError> {
        self.db
            .run(move |conn| Ok(tokens::find_meta(conn, token_id)?))
            .await?
            .ok_or(TokenError::NotFound)
    }

    async fn release_with_failure(
        &self,
        token_id: i64,
        message: &str,
        failure: Failure,
    ) -> Result<(), TokenError> {
        let message = message.to_owned();
        let after = self.after_failure(token_id, failure).await?;
        self.db
            .run(move |conn| {
                Ok(tokens::record_refresh_failure(
                    conn, token_id, &message, after,
                )?)
            })
            .await?;
        Ok(())
    }

    /// What follows a failure of token `token_id`'s refresh (whose lease this caller holds, so
    /// nobody else writes its failure count meanwhile).
    async fn after_failure(
        &self,
        token_id: i64,
        failure: Failure,
    ) -> Result<AfterFailure, TokenError> {
        let Failure::Passing(retry_after) = failure else {
            return Ok(AfterFailure::Reconnect);
        };
        let meta = self.meta(token_id).await?;
        let at = now();
        let since = meta.failing_since.unwrap_or(at);
        let attempts = meta.failed_attempts.saturating_add(1);
        let next = self.backoff.next_attempt(
            u32::try_from(attempts).unwrap_or(u32::MAX),
            since,
            at,
            retry_after.map(Duration::from_secs),
            &mut rand::thread_rng(),
        );
        Ok(AfterFailure::RetryAt {
            at: next,
            attempts,
            since,
            failing: self.backoff.is_failing(since, at),
        })
    }

    /// Whether `outcome` goes into the audit log: always for a person's refresh; for the
    /// portal's own, a success always and a failure at most once a day per token.
    async fn worth_auditing(&self, actor: &Actor, token_id: i64, outcome: &RefreshOutcome) -> bool {
        if !actor.is_system() || matches!(outcome, RefreshOutcome::Refreshed(_)) {
            return true;
        }
        self.db
            .run(move |conn| Ok(tokens::note_failure_once_a_day(conn, token_id, now())?))
            .await
            .unwrap_or(true)
    }

    /// Another refresh holds the lease: waits until it is released and reports what it
    /// recorded, or `None` when the lease ran out unreleased (its holder died).
    async fn await_other_refresh(
        &self,
        token_id: i64,
        started: NaiveDateTime,
    ) -> Result<Option<RefreshOutcome>, TokenError> {
        loop {
            let meta = self.meta(token_id).await?;
            let since = |at: Option<NaiveDateTime>| {
                at.is_some_and(|at| at >= started - TimeDelta::seconds(1))
            };
            let why = meta.last_error.clone().unwrap_or_default();
            if since(meta.last_refreshed_at) {
                return Ok(Some(RefreshOutcome::Refreshed(Box::new(meta))));
            }
            if since(meta.last_error_at) {
                return Ok(Some(if meta.state == TokenState::ReconnectNeeded {
                    RefreshOutcome::ReconnectNeeded {
                        error: AnafError::InvalidGrant(why),
                        interrupted_at: meta.refresh_interrupted_at,
                    }
                } else {
                    RefreshOutcome::FailedElsewhere(why)
                }));
            }
            let leased = self
                .db
                .run(move |conn| Ok(tokens::is_leased(conn, token_id, now())?))
                .await?;
            if !leased {
                // Released without a result of its own (a refresh with nothing to report), or
                // run out: the caller tries to take the lease.
                return Ok(None);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The stored pair of the company's current token, if any.
    async fn secrets_of_company(&self, company_id: i64) -> Option<TokenSecrets> {
        let found = self
            .db
            .run(move |conn| {
                let Some(meta) = tokens::find_meta_for_company(conn, company_id)? else {
                    return Ok(None);
                };
                Ok(tokens::load_secrets(conn, meta.id)?)
            })
            .await;
        found.ok().flatten()
    }

    /// Asks ANAF to revoke both values of a pair nobody will use, without waiting for its
    /// answer.
    fn revoke_in_background(&self, pair: &TokenResponse) {
        drop(self.spawn_revocation(
            0,
            Some(pair.access_token.clone()),
            pair.refresh_token.clone(),
        ));
    }

    /// Stops the token serving `company_id`. With its last company the token is deleted (which
    /// never depends on ANAF), then both its values are revoked at ANAF, best effort: the caller
    /// waits at most `wait` for ANAF's answers (zero: not at all), and the revocation goes on in
    /// the background after that. Audited once, with ANAF's answers when they came in time.
    pub async fn detach(
        &self,
        actor: &Actor,
        token_id: i64,
        company_id: i64,
        wait: Duration,
    ) -> Result<Detachment, TokenError> {
        let secrets = self.secrets(token_id).await?;
        // The row goes first: of several deletes racing for one token only the one that removed
        // it revokes at ANAF and writes the audit line; the others answer "not found".
        let detached = self
            .db
            .run(move |conn| Ok(tokens::detach(conn, token_id, company_id)?))
            .await?;
        let event = AuditEvent::success(AuditAction::TokenDeleted)
            .company(company_id)
            .token(token_id);
        let outcome = match detached {
            Detached::NotServed => return Err(TokenError::NotFound),
            Detached::StillServesOthers => {
                self.audit
                    .record(
                        actor,
                        event.detail("detached; it still serves other companies"),
                    )
                    .await;
                return Ok(Detachment::StillServesOthers);
            }
            Detached::Deleted => {
                // A value that does not open (altered in the database) cannot be revoked; the
                // other one still is.
                let access = self.open(&secrets, TokenField::Access).ok().flatten();
                let refresh = self.open(&secrets, TokenField::Refresh).ok().flatten();
                let answers = self.spawn_revocation(token_id, access, refresh);
                tokio::time::timeout(wait, answers)
                    .await
                    .ok()
                    .and_then(Result::ok)
            }
        };
        self.audit
            .record(
                actor,
                event.detail(
                    outcome
                        .as_ref()
                        .map_or(REVOCATION_PENDING, Revocation::audit_detail),
                ),
            )
            .await;
        Ok(Detachment::Deleted(outcome))
    }

    /// "Refresh all that are due" for `user_id`: a job over the tokens of the companies they
    /// administer that are due and can be renewed, worked through by the refresh engine of
    /// whichever instance claims its items. Audited. The job's id and its number of tokens.
    pub async fn start_refresh_job(
        &self,
        actor: &Actor,
        user_id: i64,
    ) -> Result<(i64, usize), TokenError> {
        let (job_id, count) = self
            .db
            .run(move |conn| {
                let due: Vec<i64> = companies::refreshable_due(conn, user_id, now())?
                    .into_iter()
                    .map(|(token_id, _, _)| token_id)
                    .collect();
                Ok((refresh_jobs::create(conn, user_id, &due)?, due.len()))
            })
            .await?;
        self.audit
            .record(
                actor,
                AuditEvent::success(AuditAction::RefreshJobStarted)
                    .detail(format!("{count} tokens")),
            )
            .await;
        Ok((job_id, count))
    }

    /// Takes up to `limit` waiting job items with their token's refresh lease, for
    /// `refresh_claimed` (see `refresh_jobs::claim_items`), as (job id, token id).
    pub async fn claim_job_items(&self, limit: i64) -> Result<Vec<(i64, i64)>, TokenError> {
        let length = lease_length(self.anaf.endpoints().refresh_timeout);
        Ok(self
            .db
            .run(move |conn| {
                let at = now();
                Ok(refresh_jobs::claim_items(conn, at, at + length, limit)?)
            })
            .await?)
    }

    /// Records how a job's item ended.
    pub async fn finish_job_item(
        &self,
        job_id: i64,
        token_id: i64,
        outcome: ItemOutcome,
    ) -> Result<(), TokenError> {
        Ok(self
            .db
            .run(move |conn| Ok(refresh_jobs::finish_item(conn, job_id, token_id, outcome)?))
            .await?)
    }
}
