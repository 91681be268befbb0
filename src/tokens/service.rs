//! Storing, refreshing, revealing and deleting token pairs: the only code that touches secrets.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use secrecy::{ExposeSecret, SecretString};

use crate::anaf::client::{AnafClient, AnafError, RevokeOutcome, RightsVerdict, TokenResponse};
use crate::anaf::jwt::{JwtProblem, JwtReader};
use crate::db::Db;
use crate::db::models::now;
use crate::db::models::tokens::{self, Rights, SealedPair, StoreTokenError, TokenMeta, TokenState};
use crate::domain::Cif;
use crate::error::AppError;
use crate::secrets::sha256_hex;
use crate::tokens::vault::{TokenField, TokenVault};

/// How a refresh ended, for the person or program that asked.
#[derive(Debug, Clone)]
pub enum RefreshOutcome {
    Refreshed(Box<TokenMeta>),
    /// ANAF refused the refresh token for good: only a new Connect ANAF helps.
    ReconnectNeeded(String),
    /// A temporary failure (ANAF down, slow, limiting); the token is unchanged.
    Failed(String),
    /// Saved without a refresh token (through the API): it cannot be refreshed.
    NoRefreshToken,
}

#[derive(Debug, thiserror::Error)]
pub enum StorePairError {
    #[error("{0}")]
    Jwt(JwtProblem),
    #[error("the access token has already expired")]
    Expired,
    #[error("this token is already stored")]
    Duplicate,
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

pub struct TokenService {
    db: Db,
    vault: Arc<TokenVault>,
    anaf: Arc<AnafClient>,
    jwt: Arc<JwtReader>,
}

fn naive(at: DateTime<Utc>) -> NaiveDateTime {
    at.naive_utc()
}

impl TokenService {
    pub fn new(db: Db, vault: Arc<TokenVault>, anaf: Arc<AnafClient>, jwt: Arc<JwtReader>) -> Self {
        TokenService {
            db,
            vault,
            anaf,
            jwt,
        }
    }

    pub fn anaf(&self) -> &AnafClient {
        &self.anaf
    }

    pub fn jwt(&self) -> &JwtReader {
        &self.jwt
    }

    /// Reads the claims and encrypts both tokens for `company_id`'s row.
    pub fn seal(
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
                .map_err(|e| StorePairError::Other(e.into()))
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
    pub async fn store(
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
            .await;
        let stored = stored?;
        match stored {
            Ok(meta) => Ok(meta),
            Err(StoreTokenError::Duplicate) => Err(StorePairError::Duplicate),
            Err(StoreTokenError::Database(e)) => Err(StorePairError::Other(e.into())),
        }
    }

    /// Probes ANAF for the token's SPV rights on `cif` and records the verdict.
    pub async fn check_rights(
        &self,
        token_id: i64,
        access: &SecretString,
        cif: &Cif,
    ) -> Result<RightsVerdict, AppError> {
        let verdict = self.anaf.probe_rights(access, cif).await;
        let (rights, detail) = match &verdict {
            RightsVerdict::Granted => (Rights::Granted, None),
            RightsVerdict::Denied(text) => (Rights::Denied, Some(text.clone())),
            RightsVerdict::Unknown(text) => (Rights::Unknown, Some(text.clone())),
        };
        let written = self
            .db
            .run(move |conn| {
                Ok(tokens::record_rights(
                    conn,
                    token_id,
                    rights,
                    detail.as_deref(),
                )?)
            })
            .await;
        written?;
        Ok(verdict)
    }

    fn open(
        &self,
        secrets: &tokens::TokenSecrets,
        field: TokenField,
    ) -> Result<Option<SecretString>, AppError> {
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
            .map_err(|e| AppError::Internal(anyhow::anyhow!("token {}: {e}", secrets.id)))
    }

    async fn secrets(&self, token_id: i64) -> Result<tokens::TokenSecrets, AppError> {
        self.db
            .run(move |conn| Ok(tokens::load_secrets(conn, token_id)?))
            .await?
            .ok_or(AppError::NotFound)
    }

    /// The decrypted access token, for a company admin who asked to see it.
    pub async fn reveal_access_token(&self, token_id: i64) -> Result<SecretString, AppError> {
        let secrets = self.secrets(token_id).await?;
        self.open(&secrets, TokenField::Access)?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("token without access value")))
    }

    /// Refreshes a token. At most one refresh of a token runs at a time, across every instance:
    /// a database lease decides; whoever finds it taken waits and reports the holder's result
    /// instead of calling ANAF a second time.
    pub async fn refresh(&self, token_id: i64, cif: &Cif) -> Result<RefreshOutcome, AppError> {
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
                let message = error.to_string();
                self.release_with_failure(token_id, &message, reconnect)
                    .await?;
                return Ok(if reconnect {
                    RefreshOutcome::ReconnectNeeded(message)
                } else {
                    RefreshOutcome::Failed(message)
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
            Err(problem) => {
                let message = format!("ANAF's new token was unusable: {problem}");
                self.release_with_failure(token_id, &message, false).await?;
                return Ok(RefreshOutcome::Failed(message));
            }
        };
        let written = self
            .db
            .run(move |conn| Ok(tokens::save_refreshed(conn, token_id, &sealed)?))
            .await;
        written?;

        let meta = self.meta(token_id).await?;
        if meta.rights() == Rights::Granted {
            return Ok(RefreshOutcome::Refreshed(Box::new(meta)));
        }
        self.check_rights(token_id, &response.access_token, cif)
            .await?;
        Ok(RefreshOutcome::Refreshed(Box::new(
            self.meta(token_id).await?,
        )))
    }

    async fn meta(&self, token_id: i64) -> Result<TokenMeta, AppError> {
        self.db
            .run(move |conn| Ok(tokens::find_meta(conn, token_id)?))
            .await?
            .ok_or(AppError::NotFound)
    }

    async fn release_with_failure(
        &self,
        token_id: i64,
        message: &str,
        reconnect: bool,
    ) -> Result<(), AppError> {
        let message = message.to_owned();
        let written = self
            .db
            .run(move |conn| {
                Ok(tokens::record_refresh_failure(
                    conn, token_id, &message, reconnect,
                )?)
            })
            .await;
        written?;
        Ok(())
    }

    async fn await_other_refresh(
        &self,
        token_id: i64,
        started: NaiveDateTime,
        lease: Duration,
    ) -> Result<RefreshOutcome, AppError> {
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
        Ok(match (refreshed, failed, meta.state()) {
            (true, _, _) => RefreshOutcome::Refreshed(Box::new(meta)),
            (_, true, TokenState::ReconnectNeeded) => {
                RefreshOutcome::ReconnectNeeded(meta.last_error.unwrap_or_default())
            }
            (_, true, _) => RefreshOutcome::Failed(meta.last_error.unwrap_or_default()),
            _ => RefreshOutcome::Failed("another refresh of this token did not finish".to_owned()),
        })
    }

    /// Best-effort revocation at ANAF, then the local delete (which never depends on ANAF).
    pub async fn delete(&self, token_id: i64) -> Result<RevokeOutcome, AppError> {
        let secrets = self.secrets(token_id).await?;
        let outcome = match self.open(&secrets, TokenField::Refresh) {
            Ok(Some(refresh)) => self.anaf.revoke(&refresh, "refresh_token").await,
            _ => match self.open(&secrets, TokenField::Access) {
                Ok(Some(access)) => self.anaf.revoke(&access, "access_token").await,
                _ => RevokeOutcome::NotConfirmed,
            },
        };
        let written = self
            .db
            .run(move |conn| Ok(tokens::delete(conn, token_id)?))
            .await;
        written?;
        Ok(outcome)
    }
}
