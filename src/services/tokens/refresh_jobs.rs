//! "Refresh all that are due": the job a person starts and the items the refresh engine works.

use super::*;
use crate::db::models::companies::{self};
use crate::db::models::now;
use crate::db::models::refresh_jobs::{self, ItemOutcome};
use crate::domain::{Actor, AuditAction, AuditEvent, RefreshJobId, TokenId, UserId};

impl TokenService {
    /// "Refresh all that are due" for `user_id`: a job over the tokens of the companies they
    /// administer that are due and can be renewed, worked through by the refresh engine of
    /// whichever instance claims its items. Audited. The job's id and its number of tokens.
    pub async fn start_refresh_job(
        &self,
        actor: &Actor,
        user_id: UserId,
    ) -> Result<(RefreshJobId, usize), TokenError> {
        let (job_id, count) = self
            .db
            .run(move |conn| {
                let due: Vec<i64> = companies::refreshable_due(conn, user_id, now())?
                    .into_iter()
                    .map(|(token_id, _, _)| token_id)
                    .collect();
                Ok((refresh_jobs::create(conn, user_id, &due)?, due.len()))
            })
            .await?;
        self.audit
            .record(
                actor,
                AuditEvent::success(AuditAction::RefreshJobStarted)
                    .detail(format!("{count} tokens")),
            )
            .await;
        Ok((job_id.into(), count))
    }

    /// Takes up to `limit` waiting job items with their token's refresh lease, for
    /// `refresh_claimed` (see `refresh_jobs::claim_items`), as (job id, token id).
    pub async fn claim_job_items(
        &self,
        limit: i64,
    ) -> Result<Vec<(RefreshJobId, TokenId)>, TokenError> {
        let length = lease_length(self.anaf.endpoints().refresh_timeout);
        Ok(self
            .db
            .run(move |conn| {
                let at = now();
                Ok(refresh_jobs::claim_items(conn, at, at + length, limit)?)
            })
            .await?)
    }

    /// Records how a job's item ended, and why it failed when it did.
    pub async fn finish_job_item(
        &self,
        job_id: RefreshJobId,
        token_id: TokenId,
        outcome: ItemOutcome,
        reason: Option<String>,
    ) -> Result<(), TokenError> {
        Ok(self
            .db
            .run(move |conn| {
                Ok(refresh_jobs::finish_item(
                    conn,
                    job_id,
                    token_id,
                    outcome,
                    reason.as_deref(),
                )?)
            })
            .await?)
    }
}
