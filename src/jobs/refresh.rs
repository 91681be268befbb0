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

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use tokio::sync::{Notify, watch};

use crate::anaf::client::RightsVerdict;
use crate::db::models::engine_instances::{self, Tick};
use crate::db::models::now;
use crate::db::models::refresh_jobs::ItemOutcome;
use crate::services::tokens::{RefreshOutcome, TokenError, TokenService};

/// Refreshes (or probes) in flight at once per instance. Every claimed token starts at once, so a
/// stop never leaves a claimed token waiting unstarted; more are claimed whenever half of those in
/// flight have finished, so a slow one does not hold the others up.
const CONCURRENCY: usize = 4;

/// How often a running engine says it is alive, at most (more often when its tick is shorter);
/// the lifecycle page calls an engine silent after a few missed beats.
pub const HEARTBEAT: Duration = Duration::from_secs(30);

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
        // The heartbeat goes on during a sweep, however long: liveness is told by it, not by
        // the ticks (an engine killed mid-sweep leaves no next tick behind).
        let beating = tokio::spawn(heartbeat(
            self.tokens.db().clone(),
            self.id.clone(),
            self.tick.min(HEARTBEAT),
        ));
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
        beating.abort();
        self.note(|conn, id| engine_instances::record_stop(conn, id, now()))
            .await;
        tracing::info!("refresh engine stopped");
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
                let item = match outcome {
                    Ok(RefreshOutcome::Refreshed(_)) => ItemOutcome::Refreshed,
                    _ => ItemOutcome::Failed,
                };
                let finished = tokens.finish_job_item(job_id, token_id, item).await;
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
                        tracing::warn!(token_id, %cif, "a rights probe found no SPV rights");
                    }
                    Ok(_) => {}
                    Err(error) => {
                        tracing::error!(token_id, %cif, error = %error, "a rights probe could not run");
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
    fn count(&mut self, token_id: i64, outcome: Result<RefreshOutcome, TokenError>) {
        match outcome {
            Ok(RefreshOutcome::Refreshed(_)) => {
                self.refreshed += 1;
                return;
            }
            Ok(other) => {
                tracing::warn!(token_id, outcome = ?other, "a claimed token was not refreshed");
            }
            Err(error) => {
                tracing::error!(token_id, error = %error, "a claimed token could not be refreshed");
            }
        }
        self.failed += 1;
    }
}

/// Writes the engine's heartbeat every `every` until aborted; a failure to write one only costs
/// the lifecycle page its freshness.
async fn heartbeat(db: crate::db::Db, id: String, every: Duration) {
    let mut beats = tokio::time::interval(every);
    beats.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        beats.tick().await;
        let id = id.clone();
        if let Err(error) = db
            .run(move |conn| Ok(engine_instances::heartbeat(conn, &id, now())?))
            .await
        {
            tracing::warn!(error = %error, "the engine's heartbeat could not be written");
        }
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
