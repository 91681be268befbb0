//! The portal-wide budget of calls to ANAF: `ANAF_PORTAL_ANAF_CALLS_PER_MINUTE` across all
//! instances together, counted in the database (the `anaf` counter of `call_counts`). People go before the
//! background: the engine's calls are paced evenly over the minute (by its 30th second at most
//! half of the budget is used), while a person's call may take whatever is left at once; so a
//! person waits at most until the next minute starts, and only when the whole budget was spent.
//! A call over its limit waits for the next second (background) or minute. A 429 from ANAF pauses every call of
//! every instance for its `Retry-After` (a minute when ANAF sent none): a call asked for during
//! the pause fails at once as rate-limited (and is retried after it), rather than wait holding a
//! refresh lease.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta, Timelike};

use crate::anaf::client::{AnafError, CallGate, Priority};
use crate::db::Db;
use crate::db::models::anaf_budget::{self, Admission};
use crate::db::models::now;

/// How long every call waits after a 429 without `Retry-After`.
const DEFAULT_PAUSE: TimeDelta = TimeDelta::seconds(60);

pub struct AnafBudget {
    db: Db,
    per_minute: u32,
}

impl AnafBudget {
    pub fn new(db: Db, per_minute: u32) -> AnafBudget {
        AnafBudget { db, per_minute }
    }

    async fn wait_for_turn(&self, priority: Priority) -> Result<(), AnafError> {
        let per_minute = self.per_minute;
        let asked = std::time::Instant::now();
        loop {
            let admission = self
                .db
                .run(move |conn| {
                    let at = now();
                    Ok(anaf_budget::take(
                        conn,
                        at,
                        limit(per_minute, priority, at),
                    )?)
                })
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
                Ok(Admission::NextMinute(next_minute)) => {
                    // The background's limit grows every second; a person asks again each
                    // second too, as a pause can end early.
                    let at = now();
                    let next_second = at.with_nanosecond(0).unwrap_or(at) + TimeDelta::seconds(1);
                    let wait = (next_second.min(next_minute) - at)
                        .to_std()
                        .unwrap_or_default();
                    tracing::debug!(?priority, ?wait, "waiting for the ANAF call budget");
                    tokio::time::sleep(wait.max(Duration::from_millis(10))).await;
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

/// How many calls of the minute `at` falls in may have been made when a call of this priority
/// asks at `at`: the whole budget for a person; for the background, the share of the minute
/// that has passed (rounded up, so its first second is not empty).
fn limit(per_minute: u32, priority: Priority, at: NaiveDateTime) -> i32 {
    let limit = match priority {
        Priority::Person => per_minute,
        Priority::Background => {
            let seconds = at.second().min(59) + 1;
            (per_minute.saturating_mul(seconds)).div_ceil(60).max(1)
        }
    };
    i32::try_from(limit).unwrap_or(i32::MAX)
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

    fn second(s: u32) -> NaiveDateTime {
        // 1_800_000_000 is a whole minute.
        chrono::DateTime::from_timestamp(1_800_000_000 + i64::from(s), 0)
            .expect("valid")
            .naive_utc()
    }

    #[test]
    fn people_get_the_whole_minute_and_the_background_its_pace() {
        assert_eq!(limit(6000, Priority::Person, second(0)), 6000);
        assert_eq!(limit(6000, Priority::Background, second(0)), 100);
        assert_eq!(limit(6000, Priority::Background, second(29)), 3000);
        assert_eq!(limit(6000, Priority::Background, second(59)), 6000);
        assert_eq!(
            limit(1, Priority::Background, second(0)),
            1,
            "never nothing"
        );
    }
}
