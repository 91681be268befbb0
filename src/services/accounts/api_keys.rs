//! A person's API keys: create (the key is shown once), list, revoke; each change audited.

use crate::db::models::api_keys;
use crate::domain::{Actor, ApiKeyId, AuditAction, AuditEvent, UserId};
use crate::services::accounts::AccountService;

pub use crate::db::models::api_keys::{ApiKey, MAX_NAME_CHARS};

impl AccountService {
    /// `user`'s keys that are not revoked.
    pub async fn active_api_keys(&self, user: UserId) -> anyhow::Result<Vec<ApiKey>> {
        self.db
            .run(move |conn| Ok(api_keys::list_active(conn, user.get())?))
            .await
    }

    /// A new key for `user` named `name`: the stored row and the key itself, which nothing keeps.
    pub async fn create_api_key(
        &self,
        actor: &Actor,
        user: UserId,
        name: String,
    ) -> anyhow::Result<(ApiKey, String)> {
        let (created, key) = self
            .db
            .run(move |conn| Ok(api_keys::create(conn, user.get(), &name)?))
            .await?;
        self.audit
            .record(
                actor,
                AuditEvent::success(AuditAction::ApiKeyCreated)
                    .detail(format!("key {} ({})", created.id, created.prefix)),
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
            .run(move |conn| Ok(api_keys::revoke(conn, user.get(), key.get())?))
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
