//! Revoking at ANAF the values of a pair the portal no longer keeps.

use crate::domain::TokenId;
use secrecy::SecretString;

use super::*;
use crate::anaf::client::{RevokeOutcome, TokenResponse};
use crate::db::models::tokens::TokenSecrets;
use crate::services::tokens::vault::TokenField;

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

impl TokenService {
    /// Asks ANAF to revoke both values of a stored pair that was just deleted, without waiting
    /// for its answer.
    pub(super) fn revoke_sealed_in_background(&self, old: &TokenSecrets) {
        let access = self.open(old, TokenField::Access).ok().flatten();
        let refresh = self.open(old, TokenField::Refresh).ok().flatten();
        drop(self.spawn_revocation(Some(old.id), access, refresh));
    }

    /// Asks ANAF, in a task of its own, to revoke the access and the refresh token (at once; a
    /// value that could not be read is skipped and counts as not confirmed). The task goes on
    /// whoever waits for it (the ANAF budget may hold it for up to a minute); the receiver gets
    /// ANAF's answers. `token_id`: the stored token the pair was, if any (for the log).
    pub(super) fn spawn_revocation(
        &self,
        token_id: Option<TokenId>,
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
            tracing::info!(token_id = token_id.map(TokenId::get), access = ?revocation.access, refresh = ?revocation.refresh, "ANAF's answers to revoking a token the portal no longer keeps");
            let _ = sender.send(revocation);
        });
        receiver
    }

    /// Asks ANAF to revoke both values of a pair nobody will use, without waiting for its
    /// answer.
    pub(super) fn revoke_in_background(&self, pair: &TokenResponse) {
        drop(self.spawn_revocation(
            None,
            Some(pair.access_token.clone()),
            pair.refresh_token.clone(),
        ));
    }
}
