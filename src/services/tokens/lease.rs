//! The refresh lease across instances: taking it, waiting for another holder, and giving it back
//! with a failure and what follows it.

use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta};

use super::*;
use crate::anaf::client::AnafError;
use crate::db::models::now;
use crate::db::models::tokens::{self, AfterFailure, Lease, TokenMeta};
use crate::domain::{Actor, TokenId, TokenState};

/// What taking the refresh lease came to.
pub(super) enum LeaseOutcome {
    /// This caller holds it; when the token's last pair was saved.
    Taken {
        last_refreshed_at: Option<NaiveDateTime>,
    },
    /// Another refresh held it and ended with this.
    Answered(RefreshOutcome),
}

impl TokenService {
    /// Takes the token's refresh lease. Whoever holds it refreshes: when another refresh holds
    /// it, waits and returns what that one recorded; a holder that died leaves the lease to run
    /// out, and then this caller takes over (`try_lease_refresh` notes the interruption).
    pub(super) async fn take_lease(
        &self,
        token_id: TokenId,
        started: NaiveDateTime,
    ) -> Result<LeaseOutcome, TokenError> {
        let refresh_timeout = self.anaf.endpoints().refresh_timeout;
        loop {
            let lease = self
                .db
                .run(move |conn| {
                    let at = now();
                    Ok(tokens::try_lease_refresh(
                        conn,
                        token_id,
                        at,
                        at + lease_length(refresh_timeout),
                    )?)
                })
                .await?;
            match lease {
                Lease::Gone => return Err(TokenError::NotFound),
                Lease::Taken { last_refreshed_at } => {
                    return Ok(LeaseOutcome::Taken { last_refreshed_at });
                }
                Lease::Held => {
                    if let Some(outcome) = self.await_other_refresh(token_id, started).await? {
                        return Ok(LeaseOutcome::Answered(outcome));
                    }
                }
            }
        }
    }

    pub(super) async fn meta(&self, token_id: TokenId) -> Result<TokenMeta, TokenError> {
        self.db
            .run(move |conn| Ok(tokens::find_meta(conn, token_id)?))
            .await?
            .ok_or(TokenError::NotFound)
    }

    pub(super) async fn release_with_failure(
        &self,
        token_id: TokenId,
        message: &str,
        failure: Failure,
    ) -> Result<(), TokenError> {
        let message = message.to_owned();
        let after = self.after_failure(token_id, failure).await?;
        self.db
            .run(move |conn| {
                Ok(tokens::record_refresh_failure(
                    conn, token_id, &message, after,
                )?)
            })
            .await?;
        Ok(())
    }

    /// What follows a failure of token `token_id`'s refresh (whose lease this caller holds, so
    /// nobody else writes its failure count meanwhile).
    pub(super) async fn after_failure(
        &self,
        token_id: TokenId,
        failure: Failure,
    ) -> Result<AfterFailure, TokenError> {
        let Failure::Passing(retry_after) = failure else {
            return Ok(AfterFailure::Reconnect);
        };
        let meta = self.meta(token_id).await?;
        let at = now();
        let since = meta.schedule.failing_since.unwrap_or(at);
        let attempts = meta.failed_attempts.saturating_add(1);
        let next = self.backoff.next_attempt(
            u32::try_from(attempts).unwrap_or(u32::MAX),
            since,
            at,
            retry_after.map(Duration::from_secs),
            &mut rand::thread_rng(),
        );
        Ok(AfterFailure::RetryAt {
            at: next,
            attempts,
            since,
            failing: self.backoff.is_failing(since, at),
        })
    }

    /// Whether `outcome` goes into the audit log: always for a person's refresh; for the
    /// portal's own, a success always and a failure at most once a day per token.
    pub(super) async fn worth_auditing(
        &self,
        actor: &Actor,
        token_id: TokenId,
        outcome: &RefreshOutcome,
    ) -> bool {
        if !actor.is_system() || matches!(outcome, RefreshOutcome::Refreshed(_)) {
            return true;
        }
        self.db
            .run(move |conn| Ok(tokens::note_failure_once_a_day(conn, token_id, now())?))
            .await
            .unwrap_or(true)
    }

    /// Another refresh holds the lease: waits until it is released and reports what it
    /// recorded, or `None` when the lease ran out unreleased (its holder died).
    pub(super) async fn await_other_refresh(
        &self,
        token_id: TokenId,
        started: NaiveDateTime,
    ) -> Result<Option<RefreshOutcome>, TokenError> {
        loop {
            let meta = self.meta(token_id).await?;
            let since = |at: Option<NaiveDateTime>| {
                at.is_some_and(|at| at >= started - TimeDelta::seconds(1))
            };
            let why = meta.last_error.clone().unwrap_or_default();
            if since(meta.last_refreshed_at) {
                return Ok(Some(RefreshOutcome::Refreshed(Box::new(meta))));
            }
            if since(meta.last_error_at) {
                return Ok(Some(if meta.facts.state == TokenState::ReconnectNeeded {
                    RefreshOutcome::ReconnectNeeded {
                        error: AnafError::InvalidGrant(why),
                        interrupted_at: meta.refresh_interrupted_at,
                    }
                } else {
                    RefreshOutcome::FailedElsewhere(why)
                }));
            }
            let leased = self
                .db
                .run(move |conn| Ok(tokens::is_leased(conn, token_id, now())?))
                .await?;
            if !leased {
                // Released without a result of its own (a refresh with nothing to report), or
                // run out: the caller tries to take the lease.
                return Ok(None);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
