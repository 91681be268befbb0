//! The one backoff formula of the portal's retries: how long to wait after the n-th failure in a
//! row, and when to give up. Each kind of work picks its waits (doubling from a first wait up to
//! a ceiling, or a fixed list) and whether it gives up; the token refresh adds its jitter and
//! `Retry-After` on top (`services::tokens::backoff`).

use chrono::{NaiveDateTime, TimeDelta};

/// The waits between tries.
#[derive(Debug, Clone, Copy)]
pub enum Waits {
    /// `first`, then twice as long each time, never longer than `max`.
    Doubling { first: TimeDelta, max: TimeDelta },
    /// The waits after the 1st, 2nd… failure; the last repeats.
    Steps(&'static [TimeDelta]),
}

#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub waits: Waits,
    /// No try later than this after the first failure (or the work's start); `None`: never
    /// given up.
    pub give_up_after: Option<TimeDelta>,
}

impl Backoff {
    /// The wait after the `failures`-th failure in a row (from 1; 0 counts as 1).
    pub fn wait(&self, failures: u32) -> TimeDelta {
        let index = failures.max(1) - 1;
        match self.waits {
            Waits::Doubling { first, max } => {
                let factor = 1i32 << index.min(20);
                first.checked_mul(factor).unwrap_or(max).min(max)
            }
            Waits::Steps(steps) => {
                let last = steps.len().saturating_sub(1);
                steps
                    .get(usize::try_from(index).unwrap_or(usize::MAX).min(last))
                    .copied()
                    .unwrap_or_default()
            }
        }
    }

    /// When to try again after the `failures`-th failure at `at`, for work that began (or first
    /// failed) at `since`; `None` once that would be past `give_up_after`.
    pub fn next(
        &self,
        failures: u32,
        since: NaiveDateTime,
        at: NaiveDateTime,
    ) -> Option<NaiveDateTime> {
        let next = at + self.wait(failures);
        match self.give_up_after {
            Some(limit) if next - since > limit => None,
            _ => Some(next),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubling_waits_stop_at_their_ceiling_and_steps_repeat_their_last() {
        let doubling = Backoff {
            waits: Waits::Doubling {
                first: TimeDelta::minutes(1),
                max: TimeDelta::hours(6),
            },
            give_up_after: None,
        };
        assert_eq!(doubling.wait(1), TimeDelta::minutes(1));
        assert_eq!(doubling.wait(4), TimeDelta::minutes(8));
        assert_eq!(doubling.wait(400), TimeDelta::hours(6));
        const STEPS: [TimeDelta; 2] = [TimeDelta::seconds(5), TimeDelta::minutes(5)];
        let steps = Backoff {
            waits: Waits::Steps(&STEPS),
            give_up_after: Some(TimeDelta::minutes(6)),
        };
        let at = NaiveDateTime::default();
        assert_eq!(steps.next(1, at, at), Some(at + TimeDelta::seconds(5)));
        assert_eq!(steps.next(9, at, at), Some(at + TimeDelta::minutes(5)));
        assert_eq!(steps.next(9, at, at + TimeDelta::minutes(2)), None);
    }
}
