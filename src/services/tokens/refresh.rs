//! Refreshing a token. A refresh is never lost to whoever asked for it giving up: it runs as its
//! own task (on the runtime the application was built on, which outlives the HTTP workers), waits
//! up to `ANAF_PORTAL_REFRESH_TIMEOUT` for ANAF, and saves ANAF's answer whenever it arrives; a
//! caller waits as long as it likes and otherwise learns that the refresh is still in progress.
//! Within an instance, callers of a refresh in flight share it; across instances a database lease
//! decides (`lease`), and a refresh asked for shortly after a successful one returns that one's
//! result.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta};
use secrecy::ExposeSecret;
use tokio::sync::{Notify, watch};

use super::lease::LeaseOutcome;
use super::*;
use crate::anaf::client::RightsVerdict;
use crate::anaf::client::{AnafError, Priority, TokenResponse};
use crate::db::models::now;
use crate::db::models::tokens::{self, SealedPair, TokenMeta};
use crate::domain::Rights;
use crate::domain::{
    Actor, AuditAction, AuditEvent, Cif, CompanyId, TokenId, refresh_due_after_refresh,
};
use crate::services::tokens::spool::SpooledPair;
use crate::services::tokens::vault::TokenField;

/// A refresh asked for within this long after a successful one returns that one's result instead
/// of calling ANAF again (unless forced).
pub const RECENT_REFRESH: TimeDelta = TimeDelta::seconds(60);

/// How a refresh ended, for the person or program that asked.
#[derive(Debug, Clone)]
pub enum RefreshOutcome {
    Refreshed(Box<TokenMeta>),
    /// ANAF refused the refresh token for good (`invalid_grant`): only a new Connect ANAF helps.
    /// `interrupted_at`: an earlier refresh began then and its answer was lost, which is why.
    ReconnectNeeded {
        error: AnafError,
        interrupted_at: Option<NaiveDateTime>,
    },
    /// A temporary failure known to have changed nothing (ANAF unreachable, refusing, limiting,
    /// an unusable answer); the token is unchanged.
    Failed(AnafError),
    /// ANAF did not answer in time, or the connection closed before its answer: ANAF may have
    /// replaced the pair. The next refresh tells.
    Unknown(AnafError),
    /// Another refresh of the same token, running at the same time elsewhere, failed with this.
    FailedElsewhere(String),
    /// ANAF answered with a new pair but the database would not take it: the pair waits in the
    /// recovery spool and is saved as soon as the database is back.
    Spooled,
    /// The caller stopped waiting; the refresh goes on and its result will be saved.
    InProgress,
    /// Saved without a refresh token (through the API): it cannot be refreshed.
    NoRefreshToken,
}

impl RefreshOutcome {
    /// Its name in the metrics.
    pub fn code(&self) -> &'static str {
        match self {
            RefreshOutcome::Refreshed(_) => "refreshed",
            RefreshOutcome::Spooled => "spooled",
            RefreshOutcome::ReconnectNeeded { .. } => "reconnect_needed",
            RefreshOutcome::Failed(_) => "failed",
            RefreshOutcome::Unknown(_) => "unknown",
            RefreshOutcome::FailedElsewhere(_) => "failed_elsewhere",
            RefreshOutcome::InProgress => "in_progress",
            RefreshOutcome::NoRefreshToken => "no_refresh_token",
        }
    }

    /// Why the refresh did not renew the token, in the audit log's words; `None` when it did
    /// (saved, or spooled to be saved).
    pub fn failure_reason(&self) -> Option<String> {
        Some(match self {
            RefreshOutcome::Refreshed(_) | RefreshOutcome::Spooled => return None,
            RefreshOutcome::ReconnectNeeded {
                error,
                interrupted_at: Some(at),
            } => format!(
                "{error}; a refresh was interrupted at {} UTC and ANAF has already replaced this \
                 token",
                at.format("%Y-%m-%d %H:%M:%S")
            ),
            RefreshOutcome::ReconnectNeeded { error, .. } | RefreshOutcome::Failed(error) => {
                error.to_string()
            }
            RefreshOutcome::Unknown(error) => {
                format!("{error}; whether ANAF replaced the token is unknown")
            }
            RefreshOutcome::FailedElsewhere(why) => why.clone(),
            RefreshOutcome::InProgress => "still in progress".to_owned(),
            RefreshOutcome::NoRefreshToken => "no refresh token".to_owned(),
        })
    }

    /// The audit log's entry for this outcome of a refresh of the token of `company_id`.
    pub fn audit_event(&self, token_id: TokenId, company_id: CompanyId) -> AuditEvent {
        let event = match (self, self.failure_reason()) {
            (RefreshOutcome::Spooled, _) => AuditEvent::success(AuditAction::TokenRefreshed)
                .detail("saved to the recovery spool: the database was unavailable"),
            (_, None) => AuditEvent::success(AuditAction::TokenRefreshed),
            (_, Some(reason)) => {
                AuditEvent::failure(AuditAction::TokenRefreshFailed).detail(reason)
            }
        };
        event.company(company_id).token(token_id)
    }
}

/// How a caller asks for a refresh.
#[derive(Debug, Clone, Copy)]
pub struct RefreshRequest {
    /// How long the caller waits for the outcome before it reads `InProgress`.
    pub wait: Duration,
    /// Call ANAF even when the token was refreshed in the last `RECENT_REFRESH`.
    pub force: bool,
}

/// What the callers of a refresh in flight wait on: `None` until it ends.
pub(super) type FlightOutcome = watch::Receiver<Option<Result<RefreshOutcome, TokenError>>>;

/// The refreshes this instance is running: callers of the same token share one.
#[derive(Default)]
pub(super) struct Flights {
    running: Mutex<HashMap<TokenId, FlightOutcome>>,
    /// How many refresh tasks are running, for a graceful shutdown.
    count: AtomicUsize,
    finished: Notify,
}

/// Whether the caller of a refresh holds the token's lease already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Leased {
    Yes,
    /// The refresh takes the lease; with a time, it calls ANAF only when no pair was saved after
    /// it (the caller saw none that recent, but another instance may have saved one since).
    No {
        unless_refreshed_after: Option<NaiveDateTime>,
    },
}

/// How a refresh failed, for what follows it.
#[derive(Debug, Clone, Copy)]
pub(super) enum Failure {
    /// ANAF's final word (the refresh token is refused): reconnect.
    Final,
    /// Passing (with ANAF's `Retry-After` in seconds, when it sent one): try again later.
    Passing(Option<u64>),
}

impl TokenService {
    /// Refreshes a token, audited, and returns what became of it within `request.wait`
    /// (`InProgress` after that; the refresh goes on). See the module comment.
    pub async fn refresh(
        &self,
        actor: &Actor,
        token_id: TokenId,
        request: RefreshRequest,
    ) -> Result<RefreshOutcome, TokenError> {
        let meta = self.meta(token_id).await?;
        self.refresh_loaded(actor, &meta, request).await
    }

    /// `refresh` of a token the caller has just read (its access check did): the row is not
    /// read again.
    pub async fn refresh_loaded(
        &self,
        actor: &Actor,
        meta: &TokenMeta,
        request: RefreshRequest,
    ) -> Result<RefreshOutcome, TokenError> {
        let token_id = meta.id;
        let recent_since = now() - RECENT_REFRESH;
        let recent = meta.last_refreshed_at.is_some_and(|at| at > recent_since);
        if recent && !request.force {
            return Ok(RefreshOutcome::Refreshed(Box::new(meta.clone())));
        }
        let leased = Leased::No {
            unless_refreshed_after: (!request.force).then_some(recent_since),
        };
        let mut outcome = self.join_or_start(actor, token_id, leased);
        let finished = tokio::time::timeout(request.wait, outcome.wait_for(Option::is_some)).await;
        match finished {
            Ok(Ok(done)) => done.clone().unwrap_or(Ok(RefreshOutcome::InProgress)),
            // The task ended without a word (the runtime is shutting down).
            Ok(Err(_)) => Ok(RefreshOutcome::InProgress),
            Err(_) => Ok(RefreshOutcome::InProgress),
        }
    }

    /// Takes the refresh lease of up to `limit` due tokens (most overdue first), for
    /// `refresh_claimed`. Other instances claiming at the same time get other tokens.
    pub async fn claim_due(&self, limit: i64) -> Result<Vec<TokenId>, TokenError> {
        let length = lease_length(self.anaf.endpoints().refresh_timeout);
        Ok(self
            .db
            .run(move |conn| {
                let at = now();
                Ok(tokens::claim_due(conn, at, at + length, limit)?)
            })
            .await?)
    }

    /// Refreshes a token whose lease the caller has taken (`claim_due`), as the refresh engine
    /// does, and waits for the outcome. Failures are audited once a day per token.
    pub async fn refresh_claimed(&self, token_id: TokenId) -> Result<RefreshOutcome, TokenError> {
        let mut outcome = self.join_or_start(&Actor::system(), token_id, Leased::Yes);
        match outcome.wait_for(Option::is_some).await {
            Ok(done) => done.clone().unwrap_or(Ok(RefreshOutcome::InProgress)),
            Err(_) => Ok(RefreshOutcome::InProgress),
        }
    }

    /// The outcome of this instance's refresh of the token in flight, or of a new one.
    pub(super) fn join_or_start(
        &self,
        actor: &Actor,
        token_id: TokenId,
        leased: Leased,
    ) -> FlightOutcome {
        let mut running = self
            .flights
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(outcome) = running.get(&token_id) {
            return outcome.clone();
        }
        let (sender, receiver) = watch::channel(None);
        running.insert(token_id, receiver.clone());
        self.flights.count.fetch_add(1, Ordering::SeqCst);
        let service = self.clone();
        let actor = actor.clone();
        self.runtime.spawn(async move {
            // The portal's own refreshes are paced by the ANAF budget; people go first.
            let priority = match actor.is_system() {
                true => Priority::Background,
                false => Priority::Person,
            };
            let walked = priority
                .scope(service.refresh_once(&actor, token_id, leased))
                .await;
            // A saved refresh wrote its audit lines in the save's transaction.
            let (outcome, audited) = match walked {
                Ok((outcome, audited)) => (Ok(outcome), audited),
                Err(error) => (Err(error), false),
            };
            crate::metrics::refresh_finished(match &outcome {
                Ok(outcome) => outcome.code(),
                Err(_) => "error",
            });
            if let Ok(outcome) = &outcome
                && !audited
                && !matches!(outcome, RefreshOutcome::InProgress)
                && service.worth_auditing(&actor, token_id, outcome).await
                && let Ok(served) = service
                    .db
                    .run(move |conn| Ok(tokens::served_companies(conn, token_id)?))
                    .await
            {
                for company in served {
                    service
                        .audit
                        .record(&actor, outcome.audit_event(token_id, company.id))
                        .await;
                }
            }
            if let Err(error) = &outcome {
                tracing::error!(token_id = token_id.get(), error = %error, "refresh failed in the portal");
            }
            service
                .flights
                .running
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&token_id);
            let _ = sender.send(Some(outcome));
            service.flights.count.fetch_sub(1, Ordering::SeqCst);
            service.flights.finished.notify_waiters();
        });
        receiver
    }

    /// Waits until every refresh this instance started has ended, at most `limit` (a graceful
    /// shutdown: ANAF's answers are saved, not dropped).
    pub async fn drain(&self, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let finished = self.flights.finished.notified();
            let running = self.flights.count.load(Ordering::SeqCst);
            if running == 0 {
                return;
            }
            tracing::info!(running, "waiting for refreshes in flight");
            if tokio::time::timeout_at(deadline, finished).await.is_err() {
                tracing::warn!(running, "refreshes still in flight at shutdown");
                return;
            }
        }
    }

    /// One refresh of the token: takes the lease unless the caller holds it (or waits for
    /// whoever holds it), calls ANAF and saves its answer.
    /// With the outcome, whether its audit lines are written already (a saved refresh writes
    /// them in the save's transaction).
    pub(super) async fn refresh_once(
        &self,
        actor: &Actor,
        token_id: TokenId,
        leased: Leased,
    ) -> Result<(RefreshOutcome, bool), TokenError> {
        let not_audited = |outcome: RefreshOutcome| Ok((outcome, false));
        let started = now();
        if let Leased::No {
            unless_refreshed_after,
        } = leased
        {
            let last_refreshed_at = match self.take_lease(token_id, started).await? {
                LeaseOutcome::Answered(outcome) => return not_audited(outcome),
                LeaseOutcome::Taken { last_refreshed_at } => last_refreshed_at,
            };
            // Another instance may have saved a pair between the caller's look and this lease.
            if let Some(after) = unless_refreshed_after
                && last_refreshed_at.is_some_and(|at| at > after)
            {
                self.db
                    .run(move |conn| Ok(tokens::release_lease(conn, token_id)?))
                    .await?;
                let meta = self.meta(token_id).await?;
                return not_audited(RefreshOutcome::Refreshed(Box::new(meta)));
            }
        }
        let secrets = self.secrets(token_id).await?;
        let refresh_token = match self.open(&secrets, TokenField::Refresh) {
            Ok(Some(token)) => token,
            Ok(None) => {
                self.release_with_failure(
                    token_id,
                    "no refresh token stored",
                    Failure::Passing(None),
                )
                .await?;
                return not_audited(RefreshOutcome::NoRefreshToken);
            }
            Err(e) => {
                self.release_with_failure(
                    token_id,
                    "stored token could not be decrypted",
                    Failure::Passing(None),
                )
                .await?;
                return Err(e);
            }
        };

        let response: TokenResponse = match self.anaf.refresh(&refresh_token).await {
            Ok(response) => response,
            Err(error) if error.outcome_unknown() => {
                let message = format!("{error}; whether ANAF replaced the token is unknown");
                let after = self.after_failure(token_id, Failure::Passing(None)).await?;
                self.db
                    .run(move |conn| {
                        Ok(tokens::record_refresh_unknown(
                            conn, token_id, &message, started, after,
                        )?)
                    })
                    .await?;
                return not_audited(RefreshOutcome::Unknown(error));
            }
            Err(error @ AnafError::InvalidGrant(_)) => {
                let interrupted_at = self.meta(token_id).await?.refresh_interrupted_at;
                let message = match interrupted_at {
                    Some(at) => format!(
                        "{error}; a refresh was interrupted at {} UTC and ANAF has already \
                         replaced this token",
                        at.format("%Y-%m-%d %H:%M:%S")
                    ),
                    None => error.to_string(),
                };
                self.release_with_failure(token_id, &message, Failure::Final)
                    .await?;
                return not_audited(RefreshOutcome::ReconnectNeeded {
                    error,
                    interrupted_at,
                });
            }
            Err(error) => {
                let retry_after = match &error {
                    AnafError::RateLimited(seconds) => *seconds,
                    _ => None,
                };
                self.release_with_failure(
                    token_id,
                    &error.to_string(),
                    Failure::Passing(retry_after),
                )
                .await?;
                return not_audited(RefreshOutcome::Failed(error));
            }
        };
        let obtained_at = now();

        // Persist the new pair before anything else; keep the old refresh token only when ANAF
        // sent none.
        let new_refresh = response.refresh_token.as_ref().unwrap_or(&refresh_token);
        let read = self.read_pair(
            &response.access_token,
            Some(new_refresh),
            response.stated_expiry,
            self.jwt
                .read(refresh_token.expose_secret())
                .ok()
                .map(|c| naive(c.expires_at)),
        );
        let sealed = match read {
            Ok(mut facts) => {
                facts.refresh_due_at = refresh_due_after_refresh(
                    facts.refresh_due_at,
                    obtained_at,
                    facts.access_expires_at,
                );
                let secrets = Self::seal_for(
                    &self.vault,
                    token_id,
                    &response.access_token,
                    Some(new_refresh),
                )
                .map_err(|e| TokenError::from(anyhow::Error::from(e)))?;
                SealedPair::new(secrets, facts)
            }
            Err(StorePairError::Jwt(problem)) => {
                let error = AnafError::UnusableToken(problem);
                self.release_with_failure(token_id, &error.to_string(), Failure::Passing(None))
                    .await?;
                self.revoke_in_background(&response);
                return not_audited(RefreshOutcome::Failed(error));
            }
            Err(other) => return Err(TokenError::from(anyhow::Error::from(other))),
        };
        let spooled = SpooledPair {
            token_id,
            obtained_at,
            pair: sealed,
            bound_to_token: true,
        };
        let saved = match self.save_audited(actor, spooled.clone()).await {
            Ok(Some(saved)) => saved,
            // Deleted meanwhile: deleting wins, and the new pair is of no use to anyone.
            Ok(None) => {
                self.revoke_in_background(&response);
                return Err(TokenError::NotFound);
            }
            Err(error) => {
                tracing::error!(token_id = token_id.get(), error = %error, "a refreshed pair could not be saved; keeping it in the recovery spool");
                if let Err(e) = self.spool.put(&spooled) {
                    tracing::error!(token_id = token_id.get(), error = %e, "the recovery spool could not be written either: this pair is lost");
                    return Err(TokenError::from(error));
                }
                return not_audited(RefreshOutcome::Spooled);
            }
        };
        let Saved { served, mut meta } = saved;

        // One rights probe per CIF served after each refresh keeps the verdicts current at no
        // real cost to the quota. The refresh is saved: a failure here is logged, never its.
        let mut cifs: Vec<Cif> = served.iter().map(|company| company.cif.clone()).collect();
        cifs.dedup();
        // `meta` is the token as it serves its first company by id.
        let home = served
            .iter()
            .min_by_key(|company| company.id)
            .map(|c| &c.cif);
        for cif in &cifs {
            match self
                .check_rights(token_id, &response.access_token, cif)
                .await
            {
                Ok(verdict) if home == Some(cif) => note_verdict(&mut meta, &verdict),
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(token_id = token_id.get(), error = %error, "the rights after a saved refresh could not be checked")
                }
            }
        }
        Ok((RefreshOutcome::Refreshed(Box::new(meta)), true))
    }
}

/// What `record_rights` wrote of `verdict` for the company `meta` was read for, so that the
/// outcome shows it without reading the row again.
fn note_verdict(meta: &mut TokenMeta, verdict: &RightsVerdict) {
    let at = now();
    match verdict {
        RightsVerdict::Granted => {
            meta.facts.rights = Rights::Granted;
            meta.rights_detail = None;
            meta.rights_checked_at = Some(at);
        }
        RightsVerdict::Denied(text) => {
            meta.facts.rights = Rights::Denied;
            meta.rights_detail = Some(text.clone());
            meta.rights_checked_at = Some(at);
        }
        // The verdict before stands; its reason is kept only while none is known.
        RightsVerdict::Unknown(text) => {
            if meta.facts.rights == Rights::Unknown {
                meta.rights_detail = Some(text.clone());
            }
        }
    }
}
