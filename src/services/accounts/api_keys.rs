//! A person's API keys: create (the key is shown once), list, revoke; each change audited.

use std::collections::BTreeMap;

use crate::db::models::{api_keys, now};
use crate::db::write_transaction;
use crate::domain::{Actor, ApiKeyId, AuditAction, AuditEvent, CompanyId, KeyScope, UserId};
use crate::secrets::sha256_hex;
use crate::services::accounts::AccountService;

pub use crate::db::models::api_keys::{ApiKey, KeyOwner, MAX_NAME_CHARS};

impl AccountService {
    /// The live key `key` is and its user; none for a key that is malformed, unknown or
    /// revoked, or whose user is disabled (a malformed one is not looked up).
    pub async fn api_key_owner(&self, key: &str) -> anyhow::Result<Option<KeyOwner>> {
        if !api_keys::is_well_formed(key) {
            return Ok(None);
        }
        let key_hash = sha256_hex(key);
        self.db
            .run(move |conn| Ok(api_keys::authenticate(conn, &key_hash)?))
            .await
    }

    /// Records that the key was used now.
    pub async fn touch_api_key(&self, key: ApiKeyId) -> anyhow::Result<()> {
        let at = now();
        self.db
            .run(move |conn| {
                api_keys::touch(conn, key, at)?;
                Ok(())
            })
            .await
    }

    /// `user`'s keys that are not revoked, each with what it may do. Two queries.
    pub async fn active_api_keys(&self, user: UserId) -> anyhow::Result<Vec<(ApiKey, KeyScope)>> {
        self.db
            .run(move |conn| {
                let keys = api_keys::list_active(conn, user)?;
                let limited: Vec<ApiKeyId> = keys
                    .iter()
                    .filter(|key| !key.all_companies)
                    .map(|key| key.id)
                    .collect();
                let mut companies: BTreeMap<ApiKeyId, Vec<CompanyId>> = BTreeMap::new();
                if !limited.is_empty() {
                    for (key, company) in api_keys::companies_of(conn, &limited)? {
                        companies.entry(key).or_default().push(company);
                    }
                }
                Ok(keys
                    .into_iter()
                    .map(|key| {
                        let scope = key.scope(companies.remove(&key.id).unwrap_or_default());
                        (key, scope)
                    })
                    .collect())
            })
            .await
    }

    /// A new key for `user` named `name` that may do what `scope` says (the caller checked
    /// that `user` is a member of its companies): the stored row and the key, which nothing
    /// keeps.
    pub async fn create_api_key(
        &self,
        actor: &Actor,
        user: UserId,
        name: String,
        scope: KeyScope,
    ) -> anyhow::Result<(ApiKey, String)> {
        let stored = scope.permissions.to_stored();
        let (created, key) = self
            .db
            .run(move |conn| {
                Ok(write_transaction(conn, |conn| {
                    api_keys::create(conn, user, &name, &scope)
                })?)
            })
            .await?;
        self.audit
            .record(
                actor,
                AuditEvent::success(AuditAction::ApiKeyCreated)
                    .detail(format!("key {} ({}): {stored}", created.id, created.prefix)),
            )
            .await;
        Ok((created, key))
    }

    /// Revokes `user`'s key `key`; false when they have no such active key.
    pub async fn revoke_api_key(
        &self,
        actor: &Actor,
        user: UserId,
        key: ApiKeyId,
    ) -> anyhow::Result<bool> {
        let revoked = self
            .db
            .run(move |conn| Ok(api_keys::revoke(conn, user, key)?))
            .await?;
        if revoked == 0 {
            return Ok(false);
        }
        self.audit
            .record(
                actor,
                AuditEvent::success(AuditAction::ApiKeyRevoked).detail(format!("key {key}")),
            )
            .await;
        Ok(true)
    }
}
