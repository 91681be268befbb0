//! The notifier's rounds (`services::notify::Notifier::work_once`) every tick: due
//! `token.expiring` events, fan-out, digests, the mail outbox, then webhook deliveries. The outbox
//! and the deliveries stay steps of this round rather than jobs of their own: a round sends the
//! mail and the deliveries its fan-out just wrote, in the same tick.

use std::time::Duration;

use futures_util::future::BoxFuture;

use crate::jobs::{Context, Job, Next};
use crate::services::notify::Notifier;

pub struct Notifications {
    notifier: Notifier,
    tick: Duration,
}

impl Notifications {
    pub fn new(notifier: Notifier, tick: Duration) -> Notifications {
        Notifications { notifier, tick }
    }
}

impl Job for Notifications {
    fn name(&self) -> &'static str {
        "notifier"
    }

    fn interval(&self) -> Duration {
        self.tick
    }

    fn run_once<'a>(&'a self, _ctx: &'a Context) -> BoxFuture<'a, anyhow::Result<Next>> {
        Box::pin(async move {
            self.notifier.work_once().await?;
            Ok(Next::Tick)
        })
    }
}
