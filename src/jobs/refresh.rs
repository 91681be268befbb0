//! Background work: the refresh engine keeps tokens alive without anyone pressing a button.
//!
//! Every instance that runs it (`serve` unless `ANAF_PORTAL_WORKER=off`, or `anaf-portal worker`)
//! runs a sweep every `ANAF_PORTAL_SCHEDULER_TICK` (a job of `jobs::Runner`; sooner when a
//! "refresh all that are due" job was started in this instance): it claims due tokens through the
//! database and refreshes them, a few at a time, until none is due. A claim is a refresh lease in
//! the token's row, so instances share the work, each token is refreshed by exactly one of them,
//! and a lease whose holder died runs out and is taken over (the interruption recorded).
//! Failures follow the token service's backoff (`tokens::backoff`); a token ANAF refused is left for a reconnect.
//! Items of "refresh all that are due" jobs go first: a person is waiting for them. Then the
//! rights probes that are due (a week after the last verdict; a refresh probes by itself). Every
//! call to ANAF, from any instance, goes through one budget (`budget`).

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesUnordered;
use tokio::sync::{Notify, watch};

use crate::anaf::client::RightsVerdict;
use crate::db::models::engine_instances::{self, Tick};
use crate::db::models::now;
use crate::db::models::refresh_jobs::ItemOutcome;
use crate::domain::TokenId;
use crate::jobs::{Context, Job, Next};
use crate::services::tokens::{RefreshOutcome, TokenError, TokenService};

/// Refreshes (or probes) in flight at once per instance. Every claimed token starts at once, so a
/// stop never leaves a claimed token waiting unstarted; more are claimed whenever half of those in
/// flight have finished, so a slow one does not hold the others up.
const CONCURRENCY: usize = 4;

pub struct RefreshEngine {
    tokens: TokenService,
    tick: Duration,
    /// New work before the next tick (a job started in this instance).
    wake: Arc<Notify>,
}

/// What one sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Sweep {
    pub refreshed: usize,
    pub failed: usize,
    /// Scheduled rights probes run.
    pub probed: usize,
}

impl Job for RefreshEngine {
    fn name(&self) -> &'static str {
        "refresh engine"
    }

    fn interval(&self) -> Duration {
        self.tick
    }

    fn wake(&self) -> Option<Arc<Notify>> {
        Some(self.wake.clone())
    }

    fn announces(&self) -> bool {
        true
    }

    fn run_once<'a>(&'a self, ctx: &'a Context) -> BoxFuture<'a, anyhow::Result<Next>> {
        Box::pin(self.round(ctx))
    }
}

impl RefreshEngine {
    pub fn new(tokens: TokenService, tick: Duration, wake: Arc<Notify>) -> RefreshEngine {
        RefreshEngine { tokens, tick, wake }
    }

    /// Writes down how this engine is doing for the lifecycle page; a failure to do so only
    /// costs that page a line.
    async fn note(
        &self,
        ctx: &Context,
        what: impl FnOnce(&mut crate::db::DbConnection, &str) -> diesel::QueryResult<usize>
        + Send
        + 'static,
    ) {
        let id = ctx.instance.clone();
        if let Err(error) = self.tokens.db().run(move |conn| Ok(what(conn, &id)?)).await {
            tracing::warn!(error = %error, "the engine's state could not be written down");
        }
    }

    /// One sweep, written down for the lifecycle page: its start, then what it did and when the
    /// next tick is.
    async fn round(&self, ctx: &Context) -> anyhow::Result<Next> {
        let tick = chrono::TimeDelta::from_std(self.tick).unwrap_or(chrono::TimeDelta::MAX);
        self.note(ctx, |conn, id| {
            engine_instances::record_sweep_start(conn, id, now())
        })
        .await;
        let swept = self.sweep(&ctx.stop).await;
        let done = swept.as_ref().copied().unwrap_or_default();
        self.note(ctx, move |conn, id| {
            let at = now();
            engine_instances::record_tick(
                conn,
                id,
                Tick {
                    next: at.checked_add_signed(tick).unwrap_or(at),
                    refreshed: i32::try_from(done.refreshed).unwrap_or(i32::MAX),
                    failed: i32::try_from(done.failed).unwrap_or(i32::MAX),
                    probed: i32::try_from(done.probed).unwrap_or(i32::MAX),
                },
            )
        })
        .await;
        let sweep = swept?;
        if sweep != Sweep::default() {
            tracing::info!(
                refreshed = sweep.refreshed,
                failed = sweep.failed,
                probed = sweep.probed,
                "refresh sweep"
            );
        }
        Ok(Next::Tick)
    }

    /// Works through waiting job items (people asked for them), then claims and refreshes due
    /// tokens until none is due, then runs the rights probes that are due (or stops early when
    /// a stop is asked for).
    pub async fn sweep(&self, stop: &watch::Receiver<bool>) -> anyhow::Result<Sweep> {
        let mut sweep = Sweep::default();
        let tokens = &self.tokens;
        pipeline(
            stop,
            |limit| tokens.claim_job_items(limit),
            |(job_id, token_id)| async move {
                let outcome = tokens.refresh_claimed(token_id).await;
                let (item, reason) = match &outcome {
                    Ok(RefreshOutcome::Refreshed(_)) => (ItemOutcome::Refreshed, None),
                    Ok(other) => (ItemOutcome::Failed, other.failure_reason()),
                    Err(error) => (
                        ItemOutcome::Failed,
                        Some(format!("the refresh did not finish: {error}")),
                    ),
                };
                let finished = tokens.finish_job_item(job_id, token_id, item, reason).await;
                (outcome, finished)
            },
            |(_, token_id), (outcome, finished)| {
                sweep.count(token_id, outcome);
                finished
            },
        )
        .await?;
        pipeline(
            stop,
            |limit| tokens.claim_due(limit),
            |id| tokens.refresh_claimed(id),
            |id, outcome| {
                sweep.count(id, outcome);
                Ok(())
            },
        )
        .await?;
        pipeline(
            stop,
            |limit| tokens.claim_probes(limit),
            |(token_id, cif)| async move { tokens.probe_claimed(token_id, &cif).await },
            |(token_id, cif), verdict| {
                sweep.probed += 1;
                match verdict {
                    Ok(RightsVerdict::Denied(_)) => {
                        tracing::warn!(token_id = token_id.get(), %cif, "a rights probe found no SPV rights");
                    }
                    Ok(_) => {}
                    Err(error) => {
                        tracing::error!(token_id = token_id.get(), %cif, error = %error, "a rights probe could not run");
                    }
                }
                Ok(())
            },
        )
        .await?;
        Ok(sweep)
    }
}

/// Works through what `claim` hands out, `CONCURRENCY` at a time, until nothing is left or the
/// engine stops: claims as many as there is room for whenever half of those in flight have
/// finished, starts each at once, and hands each outcome to `done` as it arrives. What is in
/// flight when the engine stops is finished, never abandoned.
async fn pipeline<T, R, Claimed, Working>(
    stop: &watch::Receiver<bool>,
    mut claim: impl FnMut(i64) -> Claimed,
    work: impl Fn(T) -> Working,
    mut done: impl FnMut(T, R) -> Result<(), TokenError>,
) -> anyhow::Result<()>
where
    T: Clone,
    Claimed: Future<Output = Result<Vec<T>, TokenError>>,
    Working: Future<Output = R>,
{
    let mut in_flight = FuturesUnordered::new();
    let mut drained = false;
    loop {
        if !drained && !*stop.borrow() && in_flight.len() <= CONCURRENCY / 2 {
            let room = (CONCURRENCY - in_flight.len()) as i64;
            let claimed = claim(room).await?;
            drained = claimed.is_empty();
            for item in claimed {
                let working = work(item.clone());
                in_flight.push(async move { (item, working.await) });
            }
        }
        match in_flight.next().await {
            Some((item, outcome)) => done(item, outcome)?,
            None => break,
        }
    }
    Ok(())
}

impl Sweep {
    /// Counts one refresh.
    /// (The token services claim tokens by number; the count names them typed.)
    fn count(&mut self, token_id: TokenId, outcome: Result<RefreshOutcome, TokenError>) {
        match outcome {
            Ok(RefreshOutcome::Refreshed(_)) => {
                self.refreshed += 1;
                return;
            }
            Ok(other) => {
                tracing::warn!(token_id = token_id.get(), outcome = ?other, "a claimed token was not refreshed");
            }
            Err(error) => {
                tracing::error!(token_id = token_id.get(), error = %error, "a claimed token could not be refreshed");
            }
        }
        self.failed += 1;
    }
}
