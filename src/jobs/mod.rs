//! Background work: every job the instance runs, driven by one `Runner`.
//!
//! A job (`Job`) does one round of its work per call, claiming what it works on through the
//! database (so instances share the work), and says when it wants its next round. The runner
//! drives every job in its own task: it runs a round at start, then again at the job's interval,
//! earlier when the job's wake-up (`Job::wake`) is notified, at once when the round asks for it;
//! a failed round is logged and the next one waits by `domain::backoff`. When `stop` turns true
//! each job finishes the round it is in (a round sees `Context::stop` and claims nothing more)
//! and the runner returns once all have. An instance that runs an announcing job (the refresh
//! engine) registers in `engine_instances` and keeps its heartbeat there for as long as the
//! runner runs: the lifecycle page tells a live instance from a silent one by it.
//!
//! The jobs: `refresh` (refresh-job items, due refreshes, rights probes), `name_lookups`,
//! `notify` (expiring events, fan-out, digests, the mail outbox, webhook deliveries),
//! `spool_replay` and `cleanup`. Adding a job is one file here implementing `Job` and one line in
//! `startup::background`, which lists the jobs handed to the runner.

pub mod cleanup;
pub mod name_lookups;
pub mod notify;
pub mod refresh;
pub mod spool_replay;

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio::sync::{Notify, watch};

use crate::db::Db;
use crate::db::models::{engine_instances, now};
use crate::domain::backoff::{Backoff, Waits};

/// How often a runner with an announcing job says it is alive, at most (more often when its
/// shortest interval is shorter); the lifecycle page calls an instance silent after a few
/// missed beats.
pub const HEARTBEAT: Duration = Duration::from_secs(30);

/// When a job wants its next round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Right away (there is more to do).
    Now,
    /// After this long (or when woken).
    After(Duration),
    /// At its interval (or when woken).
    Tick,
}

/// What a round sees of the runner.
pub struct Context {
    /// This instance's id in `engine_instances` (random, new at every start).
    pub instance: String,
    /// Turns true when the instance stops: a round claims nothing more and finishes what it
    /// started.
    pub stop: watch::Receiver<bool>,
}

/// One kind of background work.
pub trait Job: Send + Sync + 'static {
    /// For the logs.
    fn name(&self) -> &'static str;

    /// How long between rounds when nothing wakes the job.
    fn interval(&self) -> Duration;

    /// Notified when new work arrives before the next round (a request in this instance).
    fn wake(&self) -> Option<Arc<Notify>> {
        None
    }

    /// Whether running this job makes the instance appear on the lifecycle page (with its
    /// heartbeat).
    fn announces(&self) -> bool {
        false
    }

    /// One round of work.
    fn run_once<'a>(&'a self, ctx: &'a Context) -> BoxFuture<'a, anyhow::Result<Next>>;
}

/// Every job of this instance.
pub struct Runner {
    db: Db,
    jobs: Vec<Box<dyn Job>>,
}

impl Runner {
    pub fn new(db: Db) -> Runner {
        Runner {
            db,
            jobs: Vec::new(),
        }
    }

    pub fn add(&mut self, job: impl Job) {
        self.jobs.push(Box::new(job));
    }

    /// Runs every job until `stop` turns true, then returns when each has finished its round.
    pub async fn run(self, stop: watch::Receiver<bool>) {
        let instance = hex::encode(rand::random::<[u8; 8]>());
        let announced = self.jobs.iter().any(|job| job.announces());
        let mut beating = None;
        if announced {
            let host = host_name();
            let id = instance.clone();
            if let Err(error) = self
                .db
                .run(move |conn| Ok(engine_instances::register(conn, &id, &host, now())?))
                .await
            {
                tracing::warn!(error = %error, "this instance could not be registered");
            }
            let every = self
                .jobs
                .iter()
                .map(|job| job.interval())
                .min()
                .unwrap_or(HEARTBEAT)
                .min(HEARTBEAT);
            // The heartbeat goes on during a round, however long: liveness is told by it, not
            // by the rounds (an instance killed mid-round leaves no next tick behind).
            beating = Some(tokio::spawn(heartbeat(
                self.db.clone(),
                instance.clone(),
                every,
            )));
        }
        let running: Vec<_> = self
            .jobs
            .into_iter()
            .map(|job| {
                let ctx = Context {
                    instance: instance.clone(),
                    stop: stop.clone(),
                };
                tokio::spawn(drive(job, ctx))
            })
            .collect();
        for job in running {
            if let Err(error) = job.await {
                tracing::error!(error = %error, "a job ended abnormally");
            }
        }
        if let Some(beating) = beating {
            beating.abort();
            let id = instance.clone();
            if let Err(error) = self
                .db
                .run(move |conn| Ok(engine_instances::record_stop(conn, &id, now())?))
                .await
            {
                tracing::warn!(error = %error, "this instance's stop could not be written down");
            }
        }
    }
}

/// Runs `job`'s rounds until `ctx.stop` turns true.
async fn drive(job: Box<dyn Job>, ctx: Context) {
    let name = job.name();
    let interval = job.interval();
    let wake = job.wake();
    tracing::info!(job = name, every = ?interval, instance = %ctx.instance, "job started");
    let mut stop = ctx.stop.clone();
    let mut failures = 0u32;
    loop {
        let wait = match job.run_once(&ctx).await {
            Ok(next) => {
                failures = 0;
                match next {
                    Next::Now => Duration::ZERO,
                    Next::After(wait) => wait,
                    Next::Tick => interval,
                }
            }
            Err(error) => {
                failures = failures.saturating_add(1);
                tracing::error!(job = name, error = %error, failures, "a job's round stopped early");
                after_failure(interval, failures)
            }
        };
        let woken = async {
            match &wake {
                Some(wake) => wake.notified().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = stop.wait_for(|stopping| *stopping) => break,
            () = tokio::time::sleep(wait) => {}
            () = woken => {}
        }
    }
    tracing::info!(job = name, "job stopped");
}

/// The wait after a job's `failures`-th failed round in a row: its interval, doubling up to
/// five minutes (or the interval, when longer).
fn after_failure(interval: Duration, failures: u32) -> Duration {
    let first = chrono::TimeDelta::from_std(interval).unwrap_or(chrono::TimeDelta::MAX);
    let backoff = Backoff {
        waits: Waits::Doubling {
            first,
            max: first.max(chrono::TimeDelta::minutes(5)),
        },
        give_up_after: None,
    };
    backoff.wait(failures).to_std().unwrap_or(interval)
}

/// Writes the instance's heartbeat every `every` until aborted; a failure to write one only
/// costs the lifecycle page its freshness.
async fn heartbeat(db: Db, id: String, every: Duration) {
    let mut beats = tokio::time::interval(every);
    beats.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        beats.tick().await;
        let id = id.clone();
        if let Err(error) = db
            .run(move |conn| Ok(engine_instances::heartbeat(conn, &id, now())?))
            .await
        {
            tracing::warn!(error = %error, "the instance's heartbeat could not be written");
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts its rounds; each takes `round` long.
    struct Counting {
        rounds: Arc<AtomicUsize>,
        finished: Arc<AtomicUsize>,
        wake: Arc<Notify>,
        round: Duration,
    }

    impl Job for Counting {
        fn name(&self) -> &'static str {
            "counting"
        }

        fn interval(&self) -> Duration {
            Duration::from_secs(3600)
        }

        fn wake(&self) -> Option<Arc<Notify>> {
            Some(self.wake.clone())
        }

        fn run_once<'a>(&'a self, _ctx: &'a Context) -> BoxFuture<'a, anyhow::Result<Next>> {
            Box::pin(async move {
                self.rounds.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(self.round).await;
                self.finished.fetch_add(1, Ordering::SeqCst);
                Ok(Next::Tick)
            })
        }
    }

    /// Waits (5 s at most: the machine may be busy) until `done`.
    async fn until(done: impl Fn() -> bool, what: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while !done() {
            assert!(tokio::time::Instant::now() < deadline, "{what}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    #[tokio::test]
    async fn a_job_runs_at_start_when_woken_and_finishes_its_round_on_stop() {
        let (rounds, finished) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let wake = Arc::new(Notify::new());
        let job = Counting {
            rounds: rounds.clone(),
            finished: finished.clone(),
            wake: wake.clone(),
            round: Duration::from_millis(200),
        };
        let (stop, stops) = watch::channel(false);
        let ctx = Context {
            instance: "test".to_owned(),
            stop: stops,
        };
        let driving = tokio::spawn(drive(Box::new(job), ctx));
        until(|| finished.load(Ordering::SeqCst) == 1, "a round at start").await;
        wake.notify_one();
        until(
            || rounds.load(Ordering::SeqCst) == 2,
            "woken before its interval",
        )
        .await;
        // Stopped mid-round: the round finishes, no other starts.
        let _ = stop.send(true);
        driving.await.expect("the job ends");
        assert_eq!(finished.load(Ordering::SeqCst), 2);
        assert_eq!(rounds.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_failing_job_waits_its_interval_then_doubles_up_to_five_minutes() {
        let tick = Duration::from_secs(10);
        assert_eq!(after_failure(tick, 1), tick);
        assert_eq!(after_failure(tick, 3), Duration::from_secs(40));
        assert_eq!(after_failure(tick, 40), Duration::from_secs(300));
        // A job that runs less often than that waits its interval.
        let slow = Duration::from_secs(600);
        assert_eq!(after_failure(slow, 5), slow);
    }
}
