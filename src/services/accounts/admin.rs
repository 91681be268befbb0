//! What a platform admin does to accounts: list them, change a role, disable or enable one;
//! each change audited.

use crate::db::models::users;
use crate::domain::{Actor, AuditAction, AuditEvent, Role, UserId};
use crate::services::accounts::AccountService;

pub use crate::db::models::users::{AdminChangeError, User};

impl AccountService {
    /// One page of the accounts, filtered by `search` (part of an email), and how many match.
    pub async fn list_users(
        &self,
        search: String,
        offset: i64,
        limit: i64,
    ) -> anyhow::Result<(Vec<User>, i64)> {
        self.db
            .run(move |conn| Ok(users::list(conn, Some(search.as_str()), offset, limit)?))
            .await
    }

    /// Changes `user`'s platform role (`role`) or whether it is disabled (`disabled`); the last
    /// platform admin cannot be demoted or disabled.
    pub async fn change_by_admin(
        &self,
        actor: &Actor,
        user: UserId,
        role: Option<Role>,
        disabled: Option<bool>,
    ) -> anyhow::Result<Result<User, AdminChangeError>> {
        let result = self
            .db
            .run(move |conn| Ok(users::change_by_admin(conn, user, role, disabled)))
            .await?;
        if let Ok(changed) = &result {
            let action = match (role, disabled) {
                (Some(_), _) => AuditAction::UserRoleChanged,
                (None, Some(true)) => AuditAction::UserDisabled,
                _ => AuditAction::UserEnabled,
            };
            let state = if changed.is_disabled() {
                "disabled"
            } else {
                "enabled"
            };
            self.audit
                .record(
                    actor,
                    AuditEvent::success(action)
                        .detail(format!("{} ({}, {state})", changed.email, changed.role)),
                )
                .await;
        }
        Ok(result)
    }
}
