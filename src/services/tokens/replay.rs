//! Saving what waits in the recovery spool (refreshed pairs the database would not take).

use super::*;
use crate::db::models::tokens::{self, SealedPair};
use crate::services::tokens::spool::SpooledPair;
use crate::services::tokens::vault::TokenField;

impl TokenService {
    /// Whether pairs wait in the recovery spool.
    pub fn spool_is_empty(&self) -> bool {
        self.spool.entries().is_empty()
    }

    /// Notified whenever a pair is written to the recovery spool.
    pub fn spool_written(&self) -> std::sync::Arc<tokio::sync::Notify> {
        self.spool.written()
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
                    token_id = token_id.get(),
                    "a refreshed pair from the recovery spool was saved"
                );
                written += 1;
            } else {
                tracing::info!(
                    token_id = token_id.get(),
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
    pub(super) async fn rebind_spooled(
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
            tracing::error!(
                token_id = token_id.get(),
                "a recovery spool entry does not open; dropped"
            );
            return Ok(None);
        };
        let secrets = Self::seal_for(&self.vault, token_id, &access, refresh.as_ref())
            .map_err(|e| TokenError::from(anyhow::Error::from(e)))?;
        entry.pair = SealedPair::new(secrets, entry.pair.facts);
        entry.bound_to_token = true;
        Ok(Some(entry))
    }
}
