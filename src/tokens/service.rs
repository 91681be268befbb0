//! Storing, refreshing, revealing and deleting token pairs: the only code that touches secrets.
//! Every action it performs is recorded in the audit log here, once.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use secrecy::{ExposeSecret, SecretString};

use crate::anaf::client::{AnafClient, AnafError, RevokeOutcome, RightsVerdict, TokenResponse};
use crate::anaf::jwt::{JwtProblem, JwtReader};
use crate::audit::AuditLog;
use crate::db::Db;
use crate::db::models::companies::{self, Company};
use crate::db::models::now;
use crate::db::models::tokens::{self, SealedPair, StoreTokenError, TokenMeta, TokenSecrets};
use crate::domain::{Actor, AuditAction, AuditEvent, Cif, Rights, TokenState};
use crate::secrets::sha256_hex;
use crate::tokens::vault::{TokenField, TokenVault, VaultError};

/// What went wrong inside the portal (not at ANAF) while handling a token.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("no such token")]
    NotFound,
    #[error("stored token {token_id} cannot be decrypted: {source}")]
    Unreadable { token_id: i64, source: VaultError },
    #[error(transparent)]
    Storage(#[from] anyhow::Error),
}

/// How a refresh ended, for the person or program that asked.
#[derive(Debug, Clone)]
pub enum RefreshOutcome {
    Refreshed(Box<TokenMeta>),
    /// ANAF refused the refresh token for good (`invalid_grant`): only a new Connect ANAF helps.
    ReconnectNeeded(AnafError),
    /// A temporary failure (ANAF down, slow, limiting, an unusable answer); the token is unchanged.
    Failed(AnafError),
    /// Another refresh of the same token, running at the same time, failed with this message.
    FailedElsewhere(String),
    /// Saved without a refresh token (through the API): it cannot be refreshed.
    NoRefreshToken,
}

impl RefreshOutcome {
    /// The audit log's entry for this outcome of a refresh of `token` (of `company_id`).
    pub fn audit_event(&self, token_id: i64, company_id: i64) -> AuditEvent {
        let event = match self {
            RefreshOutcome::Refreshed(_) => AuditEvent::success(AuditAction::TokenRefreshed),
            RefreshOutcome::ReconnectNeeded(error) | RefreshOutcome::Failed(error) => {
                AuditEvent::failure(AuditAction::TokenRefreshFailed).detail(error.to_string())
            }
            RefreshOutcome::FailedElsewhere(why) => {
                AuditEvent::failure(AuditAction::TokenRefreshFailed).detail(why.clone())
            }
            RefreshOutcome::NoRefreshToken => {
                AuditEvent::failure(AuditAction::TokenRefreshFailed).detail("no refresh token")
            }
        };
        event.company(company_id).token(token_id)
    }
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

/// Why a Connect ANAF callback did not end with a stored token.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    Anaf(AnafError),
    #[error(transparent)]
    Store(#[from] StorePairError),
}

pub struct TokenService {
    db: Db,
    vault: Arc<TokenVault>,
    anaf: Arc<AnafClient>,
    jwt: Arc<JwtReader>,
    audit: AuditLog,
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
    ) -> Self {
        TokenService {
            db,
            vault,
            anaf,
            jwt,
            audit,
        }
    }

    pub fn anaf(&self) -> &AnafClient {
        &self.anaf
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

    /// Reads the claims and encrypts both tokens for `company_id`'s row.
    fn seal(
        &self,
        company_id: i64,
        access: &SecretString,
        refresh: Option<&SecretString>,
    ) -> Result<SealedPair, StorePairError> {
        let claims = self
            .jwt
            .read(access.expose_secret())
            .map_err(StorePairError::Jwt)?;
        // The refresh token's own expiry when it is a JWT; never assumed (ANAF's lifetimes vary).
        let refresh_expires_at = refresh
            .and_then(|r| self.jwt.read(r.expose_secret()).ok())
            .map(|c| naive(c.expires_at));
        let seal = |field, value: &SecretString| {
            self.vault
                .seal(company_id, field, value)
                .map_err(|e| StorePairError::Storage(e.into()))
        };
        Ok(SealedPair {
            key_version: self.vault.current_version(),
            access_token_ciphertext: seal(TokenField::Access, access)?,
            refresh_token_ciphertext: refresh.map(|r| seal(TokenField::Refresh, r)).transpose()?,
            fingerprint: sha256_hex(access.expose_secret()),
            access_expires_at: naive(claims.expires_at),
            refresh_expires_at,
            issued_at: claims.issued_at.map(naive),
            certificate_serial: claims.certificate_serial,
            certificate_issuer: claims.certificate_issuer,
        })
    }

    /// Stores a new pair as the company's token (replacing an earlier one).
    pub(crate) async fn store(
        &self,
        company_id: i64,
        access: &SecretString,
        refresh: Option<&SecretString>,
        source: &'static str,
        created_by: Option<i64>,
    ) -> Result<TokenMeta, StorePairError> {
        let sealed = self.seal(company_id, access, refresh)?;
        if sealed.access_expires_at <= now() {
            return Err(StorePairError::Expired);
        }
        let stored = self
            .db
            .run(move |conn| {
                Ok(tokens::replace_for_company(
                    conn, company_id, &sealed, source, created_by,
                ))
            })
            .await?;
        match stored {
            Ok(meta) => Ok(meta),
            Err(StoreTokenError::Duplicate) => Err(StorePairError::Duplicate),
            Err(StoreTokenError::Database(e)) => Err(StorePairError::Storage(e.into())),
        }
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
        let meta = self
            .store(
                company.id,
                &pair.access_token,
                pair.refresh_token.as_ref(),
                "oauth",
                actor.user_id,
            )
            .await?;
        let verdict = self
            .check_rights(meta.id, &pair.access_token, &company.cif)
            .await
            .map_err(StorePairError::Storage)?;
        Ok((meta, verdict))
    }

    /// Probes ANAF for the token's SPV rights on `cif` and records the verdict.
    pub(crate) async fn check_rights(
        &self,
        token_id: i64,
        access: &SecretString,
        cif: &Cif,
    ) -> Result<RightsVerdict, anyhow::Error> {
        let verdict = self.anaf.probe_rights(access, cif).await;
        self.record_rights(token_id, &verdict).await?;
        Ok(verdict)
    }

    pub(crate) async fn record_rights(
        &self,
        token_id: i64,
        verdict: &RightsVerdict,
    ) -> Result<(), anyhow::Error> {
        let (rights, detail) = match verdict {
            RightsVerdict::Granted => (Rights::Granted, None),
            RightsVerdict::Denied(text) => (Rights::Denied, Some(text.clone())),
            RightsVerdict::Unknown(text) => (Rights::Unknown, Some(text.clone())),
        };
        self.db
            .run(move |conn| {
                Ok(tokens::record_rights(
                    conn,
                    token_id,
                    rights,
                    detail.as_deref(),
                )?)
            })
            .await?;
        Ok(())
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
            .map(|s| {
                self.vault
                    .open(secrets.key_version, secrets.company_id, field, s)
            })
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

    /// Refreshes a token; audited. At most one refresh of a token runs at a time, across every
    /// instance: a database lease decides; whoever finds it taken waits and reports the holder's
    /// result instead of calling ANAF a second time.
    pub async fn refresh(
        &self,
        actor: &Actor,
        token_id: i64,
    ) -> Result<RefreshOutcome, TokenError> {
        let (token, company) = self
            .db
            .run(move |conn| Ok(tokens::find_with_company(conn, token_id)?))
            .await?
            .ok_or(TokenError::NotFound)?;
        let outcome = self.refresh_once(token_id, &company.cif).await?;
        self.audit
            .record(actor, outcome.audit_event(token.id, company.id))
            .await;
        Ok(outcome)
    }

    async fn refresh_once(&self, token_id: i64, cif: &Cif) -> Result<RefreshOutcome, TokenError> {
        let lease = self.anaf.endpoints().timeout * 2 + Duration::from_secs(5);
        let lease_delta = TimeDelta::from_std(lease).unwrap_or(TimeDelta::seconds(60));
        let started = now();
        let taken = self
            .db
            .run(move |conn| {
                Ok(tokens::try_lease_refresh(
                    conn,
                    token_id,
                    started,
                    started + lease_delta,
                )?)
            })
            .await?;
        if !taken {
            return self.await_other_refresh(token_id, started, lease).await;
        }

        let secrets = self.secrets(token_id).await?;
        let refresh_token = match self.open(&secrets, TokenField::Refresh) {
            Ok(Some(token)) => token,
            Ok(None) => {
                self.release_with_failure(token_id, "no refresh token stored", false)
                    .await?;
                return Ok(RefreshOutcome::NoRefreshToken);
            }
            Err(e) => {
                self.release_with_failure(token_id, "stored token could not be decrypted", false)
                    .await?;
                return Err(e);
            }
        };

        let response: TokenResponse = match self.anaf.refresh(&refresh_token).await {
            Ok(response) => response,
            Err(error) => {
                let reconnect = matches!(error, AnafError::InvalidGrant(_));
                self.release_with_failure(token_id, &error.to_string(), reconnect)
                    .await?;
                return Ok(if reconnect {
                    RefreshOutcome::ReconnectNeeded(error)
                } else {
                    RefreshOutcome::Failed(error)
                });
            }
        };

        // Persist the new pair before anything else; keep the old refresh token only when ANAF
        // sent none.
        let new_refresh = response.refresh_token.as_ref().unwrap_or(&refresh_token);
        let sealed = match self.seal(
            secrets.company_id,
            &response.access_token,
            Some(new_refresh),
        ) {
            Ok(sealed) => sealed,
            Err(StorePairError::Jwt(problem)) => {
                let error = AnafError::UnusableToken(problem);
                self.release_with_failure(token_id, &error.to_string(), false)
                    .await?;
                return Ok(RefreshOutcome::Failed(error));
            }
            Err(other) => return Err(TokenError::Storage(other.into())),
        };
        self.db
            .run(move |conn| Ok(tokens::save_refreshed(conn, token_id, &sealed)?))
            .await?;

        let meta = self.meta(token_id).await?;
        if meta.rights != Rights::Granted {
            self.check_rights(token_id, &response.access_token, cif)
                .await?;
            return Ok(RefreshOutcome::Refreshed(Box::new(
                self.meta(token_id).await?,
            )));
        }
        Ok(RefreshOutcome::Refreshed(Box::new(meta)))
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
        reconnect: bool,
    ) -> Result<(), TokenError> {
        let message = message.to_owned();
        self.db
            .run(move |conn| {
                Ok(tokens::record_refresh_failure(
                    conn, token_id, &message, reconnect,
                )?)
            })
            .await?;
        Ok(())
    }

    async fn await_other_refresh(
        &self,
        token_id: i64,
        started: NaiveDateTime,
        lease: Duration,
    ) -> Result<RefreshOutcome, TokenError> {
        let deadline = tokio::time::Instant::now() + lease;
        while tokio::time::Instant::now() < deadline {
            let leased = self
                .db
                .run(move |conn| Ok(tokens::is_leased(conn, token_id, now())?))
                .await?;
            if !leased {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let meta = self.meta(token_id).await?;
        let refreshed = meta
            .last_refreshed_at
            .is_some_and(|at| at >= started - TimeDelta::seconds(1));
        let failed = meta
            .last_error_at
            .is_some_and(|at| at >= started - TimeDelta::seconds(1));
        let why = meta.last_error.clone().unwrap_or_default();
        Ok(match (refreshed, failed, meta.state) {
            (true, _, _) => RefreshOutcome::Refreshed(Box::new(meta)),
            (_, true, TokenState::ReconnectNeeded) => {
                RefreshOutcome::ReconnectNeeded(AnafError::InvalidGrant(why))
            }
            (_, true, _) => RefreshOutcome::FailedElsewhere(why),
            _ => RefreshOutcome::FailedElsewhere(
                "another refresh of this token did not finish".to_owned(),
            ),
        })
    }

    /// Best-effort revocation at ANAF, then the local delete (which never depends on ANAF);
    /// audited.
    pub async fn delete(&self, actor: &Actor, token_id: i64) -> Result<RevokeOutcome, TokenError> {
        let secrets = self.secrets(token_id).await?;
        let outcome = match self.open(&secrets, TokenField::Refresh) {
            Ok(Some(refresh)) => self.anaf.revoke(&refresh, "refresh_token").await,
            _ => match self.open(&secrets, TokenField::Access) {
                Ok(Some(access)) => self.anaf.revoke(&access, "access_token").await,
                _ => RevokeOutcome::NotConfirmed,
            },
        };
        self.db
            .run(move |conn| Ok(tokens::delete(conn, token_id)?))
            .await?;
        self.audit
            .record(
                actor,
                AuditEvent::success(AuditAction::TokenDeleted)
                    .company(secrets.company_id)
                    .token(token_id)
                    .detail(match outcome {
                        RevokeOutcome::Confirmed => "revoked at ANAF",
                        RevokeOutcome::NotConfirmed => "ANAF did not confirm revocation",
                    }),
            )
            .await;
        Ok(outcome)
    }

    /// The user's company admin role is checked by the caller; this lists the refreshable tokens
    /// of `user_id`'s companies that expire before `before`.
    pub async fn refreshable_expiring(
        &self,
        user_id: i64,
        before: NaiveDateTime,
    ) -> Result<Vec<(i64, i64, Cif)>, TokenError> {
        Ok(self
            .db
            .run(move |conn| Ok(companies::refreshable_expiring(conn, user_id, before)?))
            .await?)
    }
}
