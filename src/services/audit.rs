//! The audit log: services record the actions they perform; handlers only say who is acting.

use crate::db::Db;
use crate::domain::{Actor, AuditAction, AuditEvent};

/// Writes audit events.
#[derive(Clone)]
pub struct AuditLog {
    db: Db,
}

impl AuditLog {
    pub fn new(db: Db) -> AuditLog {
        AuditLog { db }
    }

    /// Records an event; a failure to record is logged, never shown (the action already happened).
    pub async fn record(&self, actor: &Actor, event: AuditEvent) {
        let actor = actor.clone();
        let action = event.action;
        let result = self
            .db
            .run(move |conn| {
                crate::db::models::audit::record(conn, &actor, &event)?;
                Ok(())
            })
            .await;
        if let Err(e) = result {
            tracing::error!(error = %e, action = action.as_str(), "audit event could not be recorded");
        }
    }
}

pub use crate::db::models::audit::{AuditFilter, AuditRecord, AuditRow};

impl AuditLog {
    /// The lines `filter` selects and how many there are; looking is itself audited.
    pub async fn search(
        &self,
        actor: &Actor,
        filter: AuditFilter,
    ) -> anyhow::Result<(Vec<AuditRow>, i64)> {
        let found = self
            .db
            .run(move |conn| Ok(crate::db::models::audit::search(conn, &filter)?))
            .await?;
        self.record(actor, AuditEvent::success(AuditAction::AuditViewed))
            .await;
        Ok(found)
    }
}
