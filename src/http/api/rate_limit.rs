//! A per-API-key rate limit (GCRA token bucket from `governor`): `ANAF_PORTAL_API_RATE_LIMIT`
//! requests per period, refilled evenly, with a burst of the whole allowance.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;

use crate::domain::ApiKeyId;
use governor::{Quota, RateLimiter};

use crate::config::ApiRateLimit;

pub struct KeyRateLimiter {
    limiter: RateLimiter<ApiKeyId, DefaultKeyedStateStore<ApiKeyId>, DefaultClock>,
}

impl KeyRateLimiter {
    pub fn new(limit: ApiRateLimit) -> KeyRateLimiter {
        let requests = NonZeroU32::new(limit.requests).unwrap_or(NonZeroU32::MIN);
        let interval = (limit.period / requests.get()).max(Duration::from_nanos(1));
        let quota = Quota::with_period(interval)
            .unwrap_or_else(|| Quota::per_second(requests))
            .allow_burst(requests);
        KeyRateLimiter {
            limiter: RateLimiter::keyed(quota),
        }
    }

    /// `Ok` when key `key_id` may make one more request now; otherwise the seconds to wait.
    pub fn check(&self, key_id: ApiKeyId) -> Result<(), u64> {
        self.limiter.check_key(&key_id).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.limiter.clock().now());
            // Round up: a client that waits this long is let through.
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_each_key_separately() {
        let limiter = KeyRateLimiter::new(ApiRateLimit {
            requests: 3,
            period: Duration::from_secs(60),
        });
        for _ in 0..3 {
            assert!(limiter.check(ApiKeyId(1)).is_ok());
        }
        let wait = limiter
            .check(ApiKeyId(1))
            .expect_err("fourth request is limited");
        assert!((1..=20).contains(&wait), "wait {wait}s");
        assert!(
            limiter.check(ApiKeyId(2)).is_ok(),
            "another key has its own allowance"
        );
    }
}
