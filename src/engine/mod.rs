//! Background work: the refresh engine keeps tokens alive without anyone pressing a button.
//!
//! Every instance that runs it (`serve` unless `ANAF_PORTAL_WORKER=off`, or `anaf-portal worker`)
//! wakes every `ANAF_PORTAL_SCHEDULER_TICK`, claims due tokens through the database and refreshes
//! them, a few at a time, until none is due. A claim is a refresh lease in the token's row, so
//! instances share the work, each token is refreshed by exactly one of them, and a lease whose
//! holder died runs out and is taken over (the interruption recorded). Failures follow the
//! token service's backoff (`tokens::backoff`); a token ANAF refused is left for a reconnect.

use std::time::Duration;

use futures_util::future::join_all;
use tokio::sync::watch;

use crate::tokens::{RefreshOutcome, TokenService};

/// Refreshes in flight at once per instance: each claim takes this many tokens, all of which
/// start at once, so a stop never leaves a claimed token waiting unstarted.
const CONCURRENCY: i64 = 4;

pub struct RefreshEngine {
    tokens: TokenService,
    tick: Duration,
}

/// What one sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Sweep {
    pub refreshed: usize,
    pub failed: usize,
}

impl RefreshEngine {
    pub fn new(tokens: TokenService, tick: Duration) -> RefreshEngine {
        RefreshEngine { tokens, tick }
    }

    /// Sweeps every tick until `stop` turns true; then claims nothing more and returns when the
    /// refreshes it started have ended.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        tracing::info!(tick = ?self.tick, "refresh engine started");
        loop {
            match self.sweep(&stop).await {
                Ok(sweep) if sweep != Sweep::default() => {
                    tracing::info!(
                        refreshed = sweep.refreshed,
                        failed = sweep.failed,
                        "refresh sweep"
                    );
                }
                Ok(_) => {}
                Err(error) => tracing::error!(error = %error, "refresh sweep stopped early"),
            }
            tokio::select! {
                _ = stop.wait_for(|stopping| *stopping) => break,
                () = tokio::time::sleep(self.tick) => {}
            }
        }
        tracing::info!("refresh engine stopped");
    }

    /// Claims and refreshes due tokens until none is due (or a stop is asked for).
    pub async fn sweep(&self, stop: &watch::Receiver<bool>) -> anyhow::Result<Sweep> {
        let mut sweep = Sweep::default();
        while !*stop.borrow() {
            let claimed = self.tokens.claim_due(CONCURRENCY).await?;
            if claimed.is_empty() {
                break;
            }
            let outcomes =
                join_all(claimed.iter().map(|id| self.tokens.refresh_claimed(*id))).await;
            for (id, outcome) in claimed.iter().zip(outcomes) {
                match outcome {
                    Ok(RefreshOutcome::Refreshed(_)) => sweep.refreshed += 1,
                    Ok(other) => {
                        tracing::warn!(token_id = id, outcome = ?other, "a due token was not refreshed");
                        sweep.failed += 1;
                    }
                    Err(error) => {
                        tracing::error!(token_id = id, error = %error, "a due token could not be refreshed");
                        sweep.failed += 1;
                    }
                }
            }
        }
        Ok(sweep)
    }
}
