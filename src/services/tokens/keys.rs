//! Keeping stored tokens readable across master-key rotations: the start-up check that every
//! stored token's key is configured, and `anaf-portal rotate-keys`, which re-seals every token
//! with the current key so that older keys can be dropped. Also the one-time upgrade of values
//! bound to a token's company to values bound to the token itself (`bind_to_tokens`).

use crate::domain::TokenId;
use secrecy::ExposeSecret;

use crate::config::Config;
use crate::db::DbConnection;
use crate::db::models::{data_upgrades, tokens};
use crate::secrets::MasterKey;
use crate::services::tokens::vault::{KeyId, TokenField, TokenVault, legacy_position};

/// The vault of the configured keys: `ANAF_PORTAL_PREVIOUS_SECRET_KEYS`, then the current key.
pub fn configured_vault(config: &Config, current: &MasterKey) -> anyhow::Result<TokenVault> {
    let previous = config
        .previous_secret_keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            MasterKey::parse(k.expose_secret())
                .map_err(|e| anyhow::anyhow!("ANAF_PORTAL_PREVIOUS_SECRET_KEYS #{}: {e}", i + 1))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut keys: Vec<&MasterKey> = previous.iter().collect();
    keys.push(current);
    Ok(TokenVault::new(&keys))
}

/// Why the portal must not start with this key configuration.
#[derive(Debug, thiserror::Error)]
pub enum KeyCheckError {
    #[error(
        "ANAF_PORTAL_PREVIOUS_SECRET_KEYS: {tokens} stored token(s) were sealed with key {key_id}, \
         which is not configured; add that key back (anaf-portal rotate-keys then moves every \
         token to the current key, after which older keys can go)"
    )]
    MissingKey { key_id: String, tokens: i64 },
    #[error(
        "ANAF_PORTAL_PREVIOUS_SECRET_KEYS: {tokens} stored token(s) were sealed with the key at \
         position {position} of the key list before key ids existed, and the list has only \
         {configured}; configure the keys as they were for one start"
    )]
    MissingPosition {
        position: usize,
        configured: usize,
        tokens: i64,
    },
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Names rows written before key ids with the id of the key at their position (the configuration
/// that wrote them, unchanged across the upgrade), then checks that every key a stored token
/// needs is configured. Start-up refuses on an error, so no page ever meets an unreadable token.
pub fn adopt_and_check(conn: &mut DbConnection, vault: &TokenVault) -> Result<(), KeyCheckError> {
    for (stored, count) in tokens::count_by_key(conn)? {
        if let Some(position) = legacy_position(&stored) {
            let key = vault
                .key_at(position)
                .ok_or(KeyCheckError::MissingPosition {
                    position,
                    configured: vault.key_ids().count(),
                    tokens: count,
                })?;
            let renamed = tokens::rename_key(conn, &stored, key.as_str())?;
            tracing::info!(position, key_id = %key, tokens = renamed, "named stored tokens' key by its id");
        } else if !vault.key_ids().any(|k| k.as_str() == stored) {
            return Err(KeyCheckError::MissingKey {
                key_id: stored,
                tokens: count,
            });
        }
    }
    Ok(())
}

/// What `rotate-keys` did.
#[derive(Debug, Default)]
pub struct Rotation {
    /// Tokens re-sealed, per key that had sealed them.
    pub resealed: Vec<(String, usize)>,
    /// Tokens that changed (a refresh or a delete) while being re-sealed: already current.
    pub changed_meanwhile: usize,
    /// Tokens whose values do not open with their key (corrupt); left as they are.
    pub unreadable: Vec<TokenId>,
}

impl Rotation {
    pub fn total(&self) -> usize {
        self.resealed.iter().map(|(_, n)| n).sum()
    }

    fn count(&mut self, key_id: &str) {
        match self.resealed.iter_mut().find(|(k, _)| k == key_id) {
            Some((_, n)) => *n += 1,
            None => self.resealed.push((key_id.to_owned(), 1)),
        }
    }
}

const BATCH: i64 = 200;

/// Re-seals every stored token not sealed with the current key, in batches of `BATCH` (each one
/// transaction), while portals keep running: a row a refresh rewrote meanwhile is left alone.
pub fn rotate(conn: &mut DbConnection, vault: &TokenVault) -> Result<Rotation, KeyCheckError> {
    adopt_and_check(conn, vault)?;
    bind_to_tokens(conn, vault)?;
    let current: &KeyId = vault.current_key();
    let mut rotation = Rotation::default();
    let mut after = 0;
    loop {
        let batch = tokens::sealed_with_other_keys(conn, current.as_str(), after, BATCH)?;
        let Some(last) = batch.last() else {
            break;
        };
        after = last.id.into();
        crate::db::write_transaction(conn, |conn| {
            for old in &batch {
                let reopen = |field, sealed: &str| {
                    vault
                        .open(&old.key_id, old.id, field, sealed)
                        .and_then(|plain| vault.seal(old.id, field, &plain))
                };
                let access = reopen(TokenField::Access, &old.access_token_ciphertext);
                let refresh = old
                    .refresh_token_ciphertext
                    .as_deref()
                    .map(|r| reopen(TokenField::Refresh, r))
                    .transpose();
                let (Ok(access), Ok(refresh)) = (access, refresh) else {
                    tracing::error!(token_id = old.id.get(), key_id = %old.key_id, "a stored token does not open with its key; left as it is");
                    rotation.unreadable.push(old.id);
                    continue;
                };
                match tokens::reseal(conn, old, current.as_str(), &access, refresh.as_deref())? {
                    0 => rotation.changed_meanwhile += 1,
                    _ => rotation.count(&old.key_id),
                }
            }
            Ok::<_, diesel::result::Error>(())
        })?;
    }
    Ok(rotation)
}

/// How `data_upgrades` names the upgrade of `bind_to_tokens`.
pub const TOKEN_BINDING_UPGRADE: &str = "2026-11-30-000023_token_binding";

/// What `bind_to_tokens` did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Rebinding {
    /// Tokens whose values were sealed again for their own id.
    pub rebound: usize,
    /// Tokens whose values open under neither binding (corrupt); left as they are, they never
    /// open.
    pub unreadable: Vec<TokenId>,
    /// False when the upgrade had finished before (nothing was read).
    pub ran: bool,
}

/// The one-time upgrade from values bound to (first company, field) to values bound to (token
/// id, field): the old binding let two tokens of one company open each other's values. It runs
/// after the SQL migrations and `adopt_and_check` (start-up, `migrate`, `rotate-keys`) until
/// `data_upgrades` records it, and never after, so the old binding is then accepted nowhere.
/// While it runs, a row whose values open under their token's id is already upgraded (an
/// interrupted run, or another instance upgrading at the same moment, or a token stored since)
/// and is left alone; each row is re-sealed in one conditional statement, so a refresh writing it
/// meanwhile wins. Instances of the previous version must be stopped first: they would go on
/// writing the old binding.
pub fn bind_to_tokens(
    conn: &mut DbConnection,
    vault: &TokenVault,
) -> Result<Rebinding, KeyCheckError> {
    let mut rebinding = Rebinding::default();
    if data_upgrades::is_done(conn, TOKEN_BINDING_UPGRADE)? {
        return Ok(rebinding);
    }
    rebinding.ran = true;
    let current = vault.current_key();
    let mut after = 0;
    loop {
        let batch = tokens::secrets_after(conn, after, BATCH)?;
        let Some(last) = batch.last() else {
            break;
        };
        after = last.id.into();
        crate::db::write_transaction(conn, |conn| {
            for old in &batch {
                if vault
                    .open(
                        &old.key_id,
                        old.id,
                        TokenField::Access,
                        &old.access_token_ciphertext,
                    )
                    .is_ok()
                {
                    continue;
                }
                let rebind = |field, sealed: &str| {
                    vault
                        .open_legacy(&old.key_id, old.company_id, field, sealed)
                        .and_then(|plain| vault.seal(old.id, field, &plain))
                };
                let access = rebind(TokenField::Access, &old.access_token_ciphertext);
                let refresh = old
                    .refresh_token_ciphertext
                    .as_deref()
                    .map(|r| rebind(TokenField::Refresh, r))
                    .transpose();
                let (Ok(access), Ok(refresh)) = (access, refresh) else {
                    tracing::error!(token_id = old.id.get(), key_id = %old.key_id, "a stored token opens under neither binding; left as it is");
                    rebinding.unreadable.push(old.id);
                    continue;
                };
                if tokens::reseal(conn, old, current.as_str(), &access, refresh.as_deref())? == 1 {
                    rebinding.rebound += 1;
                }
            }
            Ok::<_, diesel::result::Error>(())
        })?;
    }
    data_upgrades::mark_done(conn, TOKEN_BINDING_UPGRADE)?;
    tracing::info!(
        rebound = rebinding.rebound,
        unreadable = rebinding.unreadable.len(),
        "stored tokens' values are now bound to each token's own id"
    );
    Ok(rebinding)
}

/// The key ids of a configuration as an operator reads them: each previous key by its place in
/// `ANAF_PORTAL_PREVIOUS_SECRET_KEYS`, then the current key.
pub fn describe(vault: &TokenVault) -> Vec<String> {
    let ids: Vec<&KeyId> = vault.key_ids().collect();
    let (current, previous) = ids.split_last().expect("a vault has a current key");
    let mut lines: Vec<String> = previous
        .iter()
        .enumerate()
        .map(|(i, id)| format!("ANAF_PORTAL_PREVIOUS_SECRET_KEYS #{}: key {id}", i + 1))
        .collect();
    lines.push(format!("ANAF_PORTAL_SECRET_KEY: key {current}"));
    lines
}
