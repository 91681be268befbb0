//! `TokenService`: the handles every token operation uses, and the error they share. Its
//! operations live beside it, one file per concern (store, connect, coverage, rights, secrets,
//! refresh, lease, replay, revocation, refresh jobs).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};

use super::*;
use crate::anaf::client::AnafClient;
use crate::anaf::jwt::JwtReader;
use crate::db::Db;
use crate::domain::{RefreshPolicy, TokenId};
use crate::services::audit::AuditLog;
use crate::services::tokens::backoff::Backoff;
use crate::services::tokens::spool::RecoverySpool;
use crate::services::tokens::vault::{TokenVault, VaultError};

/// How long a refresh lease lasts: ANAF's longest wait and half as much again. A lease that runs
/// out unreleased means its holder died.
pub(super) fn lease_length(refresh_timeout: Duration) -> TimeDelta {
    TimeDelta::from_std(refresh_timeout * 3 / 2).unwrap_or(TimeDelta::seconds(90))
}

/// What went wrong inside the portal (not at ANAF) while handling a token.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TokenError {
    #[error("no such token")]
    NotFound,
    #[error("stored token {token_id} cannot be decrypted: {source}")]
    Unreadable {
        token_id: TokenId,
        source: VaultError,
    },
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

#[derive(Clone)]
pub struct TokenService {
    pub(super) db: Db,
    pub(super) vault: Arc<TokenVault>,
    pub(super) anaf: Arc<AnafClient>,
    pub(super) jwt: Arc<JwtReader>,
    pub(super) audit: AuditLog,
    pub(super) spool: RecoverySpool,
    pub(super) flights: Arc<Flights>,
    /// When a refresh that failed for a passing reason is tried again.
    pub(super) backoff: Backoff,
    /// How early a pair falls due (`ANAF_PORTAL_REFRESH_AHEAD`).
    pub(super) policy: RefreshPolicy,
    /// Where refresh tasks run: the runtime the application was built on.
    pub(super) runtime: tokio::runtime::Handle,
}

pub(super) fn naive(at: DateTime<Utc>) -> NaiveDateTime {
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
}
