//! The portal-wide budget of calls to ANAF: `ANAF_PORTAL_ANAF_CALLS_PER_MINUTE` in any 60
//! seconds (a sliding window, not calendar minutes) across all instances together, counted in the
//! database (`call_counts::take_in_windows`). People go before the background: the engine's calls
//! are paced, at most a sixtieth of the budget in any second, portal-wide, so it never bursts and
//! a person's call finds the minute's remainder at once; only when the whole minute is spent does
//! a person wait for its oldest call to leave it. The public company registry's pace (one call in
//! any second, `REGISTRY`) is counted the same way.
//! A 429 from ANAF pauses every call of every instance for its `Retry-After` (a minute when ANAF
//! sent none): a call asked for during the pause fails at once as rate-limited (and is retried
//! after it), rather than wait holding a refresh lease.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use tokio::sync::oneshot;

use crate::anaf::client::{AnafError, CallGate, Priority};
use crate::db::Db;
use crate::db::models::anaf_budget::{self, Admission};
use crate::db::models::call_counts::{self, Window};
use crate::db::models::now;

/// Calls to ANAF's public company registry: one in any second, portal-wide.
pub const REGISTRY: Window = Window {
    counter: std::borrow::Cow::Borrowed(call_counts::ANAF_REGISTRY),
    span: TimeDelta::seconds(1),
    bucket: TimeDelta::milliseconds(10),
    calls: 1,
};

/// How long every call waits after a 429 without `Retry-After`.
const DEFAULT_PAUSE: TimeDelta = TimeDelta::seconds(60);

pub struct AnafBudget {
    db: Db,
    per_minute: u32,
    integrators: Arc<IntegratorQueue>,
}

impl AnafBudget {
    pub fn new(db: Db, per_minute: u32) -> AnafBudget {
        AnafBudget {
            db,
            per_minute,
            integrators: Arc::default(),
        }
    }

    async fn wait_for_turn(&self, priority: Priority) -> Result<(), AnafError> {
        let per_minute = i32::try_from(self.per_minute).unwrap_or(i32::MAX);
        let per_second = match priority {
            Priority::Person => None,
            Priority::Background => Some(background_per_second(self.per_minute)),
        };
        let asked = std::time::Instant::now();
        loop {
            let admission = self
                .db
                .run(move |conn| Ok(anaf_budget::take(conn, now(), per_minute, per_second)?))
                .await;
            match admission {
                Ok(Admission::Admitted) => {
                    crate::metrics::budget_waited(priority.name(), asked.elapsed());
                    return Ok(());
                }
                Ok(Admission::Paused(until)) => {
                    let seconds = (until - now()).num_seconds().max(1);
                    return Err(AnafError::RateLimited(u64::try_from(seconds).ok()));
                }
                Ok(Admission::Full(retry_at)) => {
                    // At most a second at a time: a person's turn can come early (a pause
                    // ends, an old call leaves the minute).
                    let wait = (retry_at - now()).to_std().unwrap_or_default();
                    tracing::debug!(?priority, ?wait, "waiting for the ANAF call budget");
                    tokio::time::sleep(
                        wait.clamp(Duration::from_millis(10), Duration::from_secs(1)),
                    )
                    .await;
                }
                // The call is not held hostage by the budget's own storage: ANAF's limit still
                // applies, and its 429s are handled as failures.
                Err(error) => {
                    tracing::warn!(error = %error, "the ANAF call budget could not be read; calling anyway");
                    return Ok(());
                }
            }
        }
    }
}

/// Integrators (the e-Factura gateway's API keys) together take at most this part of the
/// minute, in tenths: the rest stays for people and the portal's own work.
const INTEGRATOR_TENTHS: u32 = 9;

impl AnafBudget {
    /// The whole budget: calls in any 60 seconds.
    pub fn per_minute(&self) -> u32 {
        self.per_minute
    }

    /// Counts a gateway call of `key` against the minute and `daily`, or says why it may not go
    /// (it never waits: the integrator is told when to come back).
    ///
    /// Calls that arrive while an admission transaction runs are admitted together in the next
    /// one (a group commit): each is still checked and counted on its own (a savepoint each,
    /// in arrival order), but a transaction per call serialised every gateway call on SQLite's
    /// one writer (docs/benchmarks.md, the gateway).
    pub async fn admit_integrator(
        &self,
        key: i64,
        daily: Vec<anaf_budget::DailyCount>,
    ) -> anyhow::Result<Result<(), anaf_budget::GatewayRefusal>> {
        let (answer, mut answered) = oneshot::channel();
        self.integrators
            .waiting
            .lock()
            .map_err(|_| anyhow::anyhow!("the admission queue is poisoned"))?
            .push(WaitingCall {
                call: anaf_budget::IntegratorCall { key, daily },
                answer,
            });
        loop {
            tokio::select! {
                biased;
                admitted = &mut answered => {
                    return admitted
                        .map_err(|_| anyhow::anyhow!("the admission was abandoned"))?
                        .map_err(|cause| anyhow::anyhow!(cause));
                }
                turn = self.integrators.writer.clone().lock_owned() => {
                    // Whoever holds the turn admits everything waiting, ours included unless an
                    // earlier turn took it (then its answer is on the way). The batch runs on
                    // its own task, so a caller that goes away mid-way abandons nobody.
                    let batch = self.integrators.take_waiting(MAX_BATCH);
                    if batch.is_empty() {
                        continue;
                    }
                    let share = anaf_budget::IntegratorShare {
                        integrators_per_minute: tenths(self.per_minute, INTEGRATOR_TENTHS),
                    };
                    let db = self.db.clone();
                    // Its outcome reaches every caller through its `answer`.
                    drop(tokio::spawn(admit_batch(db, share, batch, turn)));
                }
            }
        }
    }
}

/// At most this many gateway calls in one admission transaction.
const MAX_BATCH: usize = 256;

/// Gateway calls waiting for an admission transaction, and the turn to run one.
#[derive(Default)]
struct IntegratorQueue {
    waiting: std::sync::Mutex<Vec<WaitingCall>>,
    writer: Arc<tokio::sync::Mutex<()>>,
}

impl IntegratorQueue {
    fn take_waiting(&self, at_most: usize) -> Vec<WaitingCall> {
        let Ok(mut waiting) = self.waiting.lock() else {
            return Vec::new();
        };
        let taken = waiting.len().min(at_most);
        waiting.drain(..taken).collect()
    }
}

type AdmissionAnswer = Result<Result<(), anaf_budget::GatewayRefusal>, String>;

struct WaitingCall {
    call: anaf_budget::IntegratorCall,
    answer: oneshot::Sender<AdmissionAnswer>,
}

/// Admits `batch` in one transaction and answers each call; holds `turn` until then.
async fn admit_batch(
    db: Db,
    share: anaf_budget::IntegratorShare,
    batch: Vec<WaitingCall>,
    turn: tokio::sync::OwnedMutexGuard<()>,
) {
    let (calls, answers): (Vec<_>, Vec<_>) = batch
        .into_iter()
        .map(|waiting| (waiting.call, waiting.answer))
        .unzip();
    let admitted = db
        .run(move |conn| {
            Ok(anaf_budget::take_for_integrators(
                conn,
                now(),
                share,
                &calls,
            )?)
        })
        .await;
    drop(turn);
    match admitted {
        Ok(outcomes) => {
            for (answer, outcome) in answers.into_iter().zip(outcomes) {
                // A caller that went away no longer needs its answer.
                let _ = answer.send(Ok(outcome));
            }
        }
        Err(error) => {
            let cause = format!("{error:#}");
            for answer in answers {
                let _ = answer.send(Err(cause.clone()));
            }
        }
    }
}

/// `tenths` tenths of `per_minute`, at least one call.
fn tenths(per_minute: u32, tenths: u32) -> i32 {
    i32::try_from((u64::from(per_minute) * u64::from(tenths) / 10).max(1)).unwrap_or(i32::MAX)
}

/// The background's calls allowed in any one second: its share of the minute, rounded up.
fn background_per_second(per_minute: u32) -> i32 {
    i32::try_from(per_minute.div_ceil(60)).unwrap_or(i32::MAX)
}

impl CallGate for AnafBudget {
    fn admit(
        &self,
        priority: Priority,
    ) -> Pin<Box<dyn Future<Output = Result<(), AnafError>> + Send + '_>> {
        Box::pin(self.wait_for_turn(priority))
    }

    fn rate_limited(
        &self,
        retry_after: Option<u64>,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            let pause = retry_after
                .and_then(|s| i64::try_from(s).ok())
                .map_or(DEFAULT_PAUSE, TimeDelta::seconds);
            let until = now() + pause;
            tracing::warn!(
                seconds = pause.num_seconds(),
                "ANAF answered 429: every call waits"
            );
            if let Err(error) = self
                .db
                .run(move |conn| Ok(anaf_budget::pause_until(conn, until)?))
                .await
            {
                tracing::warn!(error = %error, "the ANAF pause could not be stored");
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Many gateway calls at once, admitted in whatever batches form: every caller gets an
    /// answer, and exactly the integrators' part of the minute is admitted.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_gateway_calls_share_transactions_and_each_gets_its_answer() {
        for (backend, db) in crate::db::testing::databases() {
            let budget = Arc::new(AnafBudget::new(db.clone(), 20));
            let calls: Vec<_> = (0..60)
                .map(|_| {
                    let budget = budget.clone();
                    tokio::spawn(async move { budget.admit_integrator(1, Vec::new()).await })
                })
                .collect();
            let mut admitted = 0;
            for call in calls {
                if call.await.expect("joined").expect("answered").is_ok() {
                    admitted += 1;
                }
            }
            assert_eq!(admitted, 18, "90 % of 20 ({backend:?})");
            assert!(
                db.round_trips() < 60,
                "calls waiting together share a transaction: {} trips ({backend:?})",
                db.round_trips()
            );
        }
    }

    #[test]
    fn the_background_gets_a_sixtieth_of_the_minute_each_second() {
        assert_eq!(background_per_second(6000), 100);
        assert_eq!(background_per_second(500), 9);
        assert_eq!(background_per_second(1), 1, "never nothing");
    }
}
