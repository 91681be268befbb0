//! Saves the refreshed pairs the database would not take (`services::tokens::spool`) once it is
//! back. Woken when a pair is spooled, the job waits a few seconds, then replays the spool every
//! few seconds until it is empty; start-up has already replayed what an earlier run left. Every
//! instance runs it, web-only ones too: a *Refresh* press can spool a pair anywhere.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio::sync::Notify;

use crate::jobs::{Context, Job, Next};
use crate::services::tokens::TokenService;

/// Between tries while pairs wait (the database is likely still down).
const RETRY: Duration = Duration::from_secs(3);
/// A look at the spool without being woken (reading an empty directory).
const EVERY: Duration = Duration::from_secs(60);

pub struct SpoolReplay {
    tokens: TokenService,
    wake: Arc<Notify>,
    /// Pairs were seen waiting: the next round replays them.
    waiting: AtomicBool,
}

impl SpoolReplay {
    pub fn new(tokens: TokenService) -> SpoolReplay {
        SpoolReplay {
            wake: tokens.spool_written(),
            tokens,
            waiting: AtomicBool::new(false),
        }
    }
}

impl Job for SpoolReplay {
    fn name(&self) -> &'static str {
        "recovery spool replay"
    }

    fn interval(&self) -> Duration {
        EVERY
    }

    fn wake(&self) -> Option<Arc<Notify>> {
        Some(self.wake.clone())
    }

    fn run_once<'a>(&'a self, _ctx: &'a Context) -> BoxFuture<'a, anyhow::Result<Next>> {
        Box::pin(async move {
            if self.tokens.spool_is_empty() {
                self.waiting.store(false, Ordering::Relaxed);
                return Ok(Next::Tick);
            }
            // Just spooled: the database has only now failed, so it gets a moment first.
            if !self.waiting.swap(true, Ordering::Relaxed) {
                return Ok(Next::After(RETRY));
            }
            // A failed replay is the database still down, not a fault of the job: the next try
            // comes as soon, not later and later.
            if let Err(error) = self.tokens.replay_spool().await {
                tracing::warn!(error = %error, "recovery spool: the database is still unavailable");
            }
            if self.tokens.spool_is_empty() {
                self.waiting.store(false, Ordering::Relaxed);
                return Ok(Next::Tick);
            }
            Ok(Next::After(RETRY))
        })
    }
}
