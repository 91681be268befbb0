//! Reading and storing a new pair: what its claims say, sealing its values for its row, and
//! saving a refreshed pair.

use chrono::{DateTime, NaiveDateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

use super::*;
use crate::anaf::client::TokenResponse;
use crate::anaf::jwt::JwtProblem;
use crate::db::models::audit;
use crate::db::models::companies::Company;
use crate::db::models::now;
use crate::db::models::tokens::{
    self, NewPair, PairFacts, SealedSecrets, StoreTokenError, TokenMeta, TokenSecrets,
};
use crate::db::write_transaction;
use crate::domain::RefreshTokenClock;
use crate::domain::{Actor, AuditAction, AuditEvent, CompanyId, TokenId, UserId};
use crate::secrets::sha256_hex;
use crate::services::tokens::spool::SpooledPair;
use crate::services::tokens::vault::{TokenField, TokenVault, VaultError};

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

impl TokenService {
    /// Reads what the tokens say. The access token ends at the earlier of its JWT `exp` and
    /// the end the server's answer stated (`stated_expiry`, from `expires_in`): a server may end
    /// a token before its `exp`, and a portal that believed the `exp` would serve a dead token and
    /// refresh it too late. An opaque token (as ANAF's legacy ones are) has only the stated end;
    /// without either it cannot be stored. `replaced_refresh` is the expiry of the refresh token
    /// a refresh used: a new one that ends no later shows that refreshes do not move the date, and
    /// only a reconnect will.
    pub(super) fn read_pair(
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
    pub(super) fn seal_for(
        vault: &TokenVault,
        token_id: TokenId,
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
        company_id: CompanyId,
        pair: &TokenResponse,
        source: &'static str,
        created_by: Option<UserId>,
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

    /// The stored pair of the company's current token, if any.
    pub(super) async fn secrets_of_company(&self, company_id: CompanyId) -> Option<TokenSecrets> {
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

    /// Writes a pair ANAF issued (see `tokens::save_refreshed`): 1 when it was written.
    pub(super) async fn save(&self, entry: SpooledPair) -> anyhow::Result<usize> {
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

    /// `save` of a refresh's pair, with its `token.refreshed` audit line for each company the
    /// token serves in the same transaction; what the token serves and its new row. `None`:
    /// not written (see `save`).
    pub(super) async fn save_audited(
        &self,
        actor: &Actor,
        entry: SpooledPair,
    ) -> anyhow::Result<Option<Saved>> {
        let actor = actor.clone();
        self.db
            .run(move |conn| {
                let token_id = entry.token_id;
                Ok(write_transaction(conn, |conn| {
                    let written =
                        tokens::save_refreshed(conn, token_id, &entry.pair, entry.obtained_at)?;
                    if written != 1 {
                        return Ok(None);
                    }
                    let served = tokens::served_companies(conn, token_id)?;
                    for company in &served {
                        audit::record(
                            conn,
                            &actor,
                            &AuditEvent::success(AuditAction::TokenRefreshed)
                                .company(company.id)
                                .token(token_id),
                        )?;
                    }
                    let meta = tokens::find_meta(conn, token_id)?;
                    Ok::<_, diesel::result::Error>(meta.map(|meta| Saved { served, meta }))
                })?)
            })
            .await
    }
}

/// A refreshed pair saved: the companies the token serves and its new row.
pub(super) struct Saved {
    pub(super) served: Vec<Company>,
    pub(super) meta: TokenMeta,
}
