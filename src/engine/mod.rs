//! Background work: the refresh engine keeps tokens alive without anyone pressing a button.
//!
//! Every instance that runs it (`serve` unless `ANAF_PORTAL_WORKER=off`, or `anaf-portal worker`)
//! wakes every `ANAF_PORTAL_SCHEDULER_TICK`, claims due tokens through the database and refreshes
//! them, a few at a time, until none is due. A claim is a refresh lease in the token's row, so
//! instances share the work, each token is refreshed by exactly one of them, and a lease whose
//! holder died runs out and is taken over (the interruption recorded). Failures follow the
//! token service's backoff (`tokens::backoff`); a token ANAF refused is left for a reconnect.
//! Items of "refresh all that are due" jobs go first: a person is waiting for them. Then the
//! rights probes that are due (a week after the last verdict; a refresh probes by itself). Every
//! call to ANAF, from any instance, goes through one budget (`budget`).

pub mod budget;
pub mod lifecycle;
pub mod registry;

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use tokio::sync::{Notify, watch};

use crate::anaf::client::RightsVerdict;
use crate::db::models::engine_instances::{self, Tick};
use crate::db::models::now;
use crate::db::models::refresh_jobs::ItemOutcome;
use crate::tokens::{RefreshOutcome, TokenError, TokenService};

/// Refreshes in flight at once per instance: each claim takes this many tokens, all of which
/// start at once, so a stop never leaves a claimed token waiting unstarted.
const CONCURRENCY: i64 = 4;

pub struct RefreshEngine {
    /// This engine's row in `engine_instances` (random, new at every start).
    id: String,
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

impl RefreshEngine {
    pub fn new(tokens: TokenService, tick: Duration, wake: Arc<Notify>) -> RefreshEngine {
        RefreshEngine {
            id: hex::encode(rand::random::<[u8; 8]>()),
            tokens,
            tick,
            wake,
        }
    }

    /// Writes down how this engine is doing for the lifecycle page; a failure to do so only
    /// costs that page a line.
    async fn note(
        &self,
        what: impl FnOnce(&mut crate::db::DbConnection, &str) -> diesel::QueryResult<usize>
        + Send
        + 'static,
    ) {
        let id = self.id.clone();
        if let Err(error) = self.tokens.db().run(move |conn| Ok(what(conn, &id)?)).await {
            tracing::warn!(error = %error, "the engine's state could not be written down");
        }
    }

    /// Sweeps every tick until `stop` turns true; then claims nothing more and returns when the
    /// refreshes it started have ended.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        tracing::info!(tick = ?self.tick, instance = %self.id, "refresh engine started");
        let host = host_name();
        self.note(move |conn, id| engine_instances::register(conn, id, &host, now()))
            .await;
        let tick = chrono::TimeDelta::from_std(self.tick).unwrap_or(chrono::TimeDelta::MAX);
        loop {
            self.note(|conn, id| engine_instances::record_sweep_start(conn, id, now()))
                .await;
            let swept = self.sweep(&stop).await;
            let done = swept.as_ref().copied().unwrap_or_default();
            self.note(move |conn, id| {
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
            match swept {
                Ok(sweep) if sweep != Sweep::default() => {
                    tracing::info!(
                        refreshed = sweep.refreshed,
                        failed = sweep.failed,
                        probed = sweep.probed,
                        "refresh sweep"
                    );
                }
                Ok(_) => {}
                Err(error) => tracing::error!(error = %error, "refresh sweep stopped early"),
            }
            tokio::select! {
                _ = stop.wait_for(|stopping| *stopping) => break,
                () = tokio::time::sleep(self.tick) => {}
                () = self.wake.notified() => {}
            }
        }
        self.note(|conn, id| engine_instances::record_stop(conn, id, now()))
            .await;
        tracing::info!("refresh engine stopped");
    }

    /// Works through waiting job items (people asked for them), then claims and refreshes due
    /// tokens until none is due, then runs the rights probes that are due (or stops early when
    /// a stop is asked for).
    pub async fn sweep(&self, stop: &watch::Receiver<bool>) -> anyhow::Result<Sweep> {
        let mut sweep = Sweep::default();
        while !*stop.borrow() {
            let claimed = self.tokens.claim_job_items(CONCURRENCY).await?;
            if claimed.is_empty() {
                break;
            }
            let outcomes = join_all(
                claimed
                    .iter()
                    .map(|(_, id)| self.tokens.refresh_claimed(*id)),
            )
            .await;
            for ((job_id, token_id), outcome) in claimed.into_iter().zip(outcomes) {
                let item = match sweep.count(token_id, outcome) {
                    true => ItemOutcome::Refreshed,
                    false => ItemOutcome::Failed,
                };
                self.tokens.finish_job_item(job_id, token_id, item).await?;
            }
        }
        while !*stop.borrow() {
            let claimed = self.tokens.claim_due(CONCURRENCY).await?;
            if claimed.is_empty() {
                break;
            }
            let outcomes =
                join_all(claimed.iter().map(|id| self.tokens.refresh_claimed(*id))).await;
            for (id, outcome) in claimed.into_iter().zip(outcomes) {
                sweep.count(id, outcome);
            }
        }
        while !*stop.borrow() {
            let claimed = self.tokens.claim_probes(CONCURRENCY).await?;
            if claimed.is_empty() {
                break;
            }
            let verdicts = join_all(claimed.iter().map(|id| self.tokens.probe_claimed(*id))).await;
            for (token_id, verdict) in claimed.into_iter().zip(verdicts) {
                sweep.probed += 1;
                match verdict {
                    Ok(RightsVerdict::Denied(_)) => {
                        tracing::warn!(token_id, "a rights probe found no SPV rights");
                    }
                    Ok(_) => {}
                    Err(error) => {
                        tracing::error!(token_id, error = %error, "a rights probe could not run");
                    }
                }
            }
        }
        Ok(sweep)
    }
}

impl Sweep {
    /// Counts one refresh; whether it renewed the token.
    fn count(&mut self, token_id: i64, outcome: Result<RefreshOutcome, TokenError>) -> bool {
        match outcome {
            Ok(RefreshOutcome::Refreshed(_)) => {
                self.refreshed += 1;
                return true;
            }
            Ok(other) => {
                tracing::warn!(token_id, outcome = ?other, "a claimed token was not refreshed");
            }
            Err(error) => {
                tracing::error!(token_id, error = %error, "a claimed token could not be refreshed");
            }
        }
        self.failed += 1;
        false
    }
}

/// The machine's name and this process's id, to tell instances apart on the lifecycle page.
fn host_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "unknown host".to_owned());
    format!("{host} (pid {})", std::process::id())
}
