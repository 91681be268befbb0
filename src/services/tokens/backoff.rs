//! When a refresh that failed for a passing reason (timeout, 5xx, 429, a dropped connection, a
//! malformed answer) is tried again: exponential backoff with jitter from one minute to six hours,
//! never before ANAF's `Retry-After`, and twice a day once the failures have lasted longer than
//! `failing_after` (the token is then flagged "refresh failing" and still tried).

use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta};
use rand::Rng;

#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub first: Duration,
    pub max: Duration,
    /// Past this much failing, a token is "refresh failing" and tried every `failing_interval`.
    pub failing_after: Duration,
    pub failing_interval: Duration,
}

impl Backoff {
    pub fn new(failing_after: Duration) -> Backoff {
        Backoff {
            first: Duration::from_secs(60),
            max: Duration::from_secs(6 * 3600),
            failing_after,
            failing_interval: Duration::from_secs(12 * 3600),
        }
    }

    /// Whether failures since `since` have lasted long enough to flag the token.
    pub fn is_failing(&self, since: NaiveDateTime, now: NaiveDateTime) -> bool {
        now - since >= delta(self.failing_after)
    }

    /// The next try after the `attempt`-th failure in a row (from 1), failing since `since`.
    pub fn next_attempt(
        &self,
        attempt: u32,
        since: NaiveDateTime,
        now: NaiveDateTime,
        retry_after: Option<Duration>,
        rng: &mut impl Rng,
    ) -> NaiveDateTime {
        let ceiling = if self.is_failing(since, now) {
            self.failing_interval
        } else {
            let waits = crate::domain::backoff::Backoff {
                waits: crate::domain::backoff::Waits::Doubling {
                    first: delta(self.first),
                    max: delta(self.max),
                },
                give_up_after: None,
            };
            waits.wait(attempt).to_std().unwrap_or(self.max)
        };
        // "Equal jitter": between half the delay and all of it, so instances that failed
        // together do not come back together.
        let half = ceiling / 2;
        let jittered = half + half.mul_f64(rng.r#gen::<f64>());
        let delay = jittered.max(retry_after.unwrap_or_default());
        now + delta(delay)
    }
}

fn delta(duration: Duration) -> TimeDelta {
    TimeDelta::from_std(duration).unwrap_or(TimeDelta::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000 + seconds, 0)
            .expect("valid")
            .naive_utc()
    }

    fn secs(from: NaiveDateTime, to: NaiveDateTime) -> i64 {
        (to - from).num_seconds()
    }

    #[test]
    fn delays_double_from_a_minute_to_six_hours_with_jitter() {
        let backoff = Backoff::new(Duration::from_secs(4 * 86_400));
        let mut rng = rand::thread_rng();
        let now = at(0);
        for (attempt, ceiling) in [
            (1, 60),
            (2, 120),
            (3, 240),
            (9, 15_360),
            (10, 21_600),
            (40, 21_600),
        ] {
            for _ in 0..50 {
                let wait = secs(now, backoff.next_attempt(attempt, now, now, None, &mut rng));
                assert!(
                    (ceiling / 2..=ceiling).contains(&wait),
                    "attempt {attempt}: {wait}"
                );
            }
        }
    }

    #[test]
    fn retry_after_is_obeyed_and_long_failures_go_twice_a_day() {
        let backoff = Backoff::new(Duration::from_secs(4 * 86_400));
        let mut rng = rand::thread_rng();
        let now = at(0);
        let wait = secs(
            now,
            backoff.next_attempt(1, now, now, Some(Duration::from_secs(900)), &mut rng),
        );
        assert!(wait >= 900, "{wait}");
        let since = at(-5 * 86_400);
        assert!(backoff.is_failing(since, now));
        let wait = secs(now, backoff.next_attempt(3, since, now, None, &mut rng));
        assert!((21_600..=43_200).contains(&wait), "{wait}");
    }
}
