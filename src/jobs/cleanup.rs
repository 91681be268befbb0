//! Deletes what has run out, every five minutes: expired sessions, stale login failures, call
//! counts older than two days (the rights probes' days; the budget's buckets after 30 minutes,
//! the background's, the registry's and the API keys' shares after ten), engines silent for a day, expired email
//! verifications and week-old sandbox mails. Every instance that serves runs it; deleting twice
//! is harmless, so nothing is claimed.

use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta};
use futures_util::future::BoxFuture;

use crate::db::Db;
use crate::db::models::{
    anaf_budget, call_counts, email_changes, email_verifications, engine_instances, login_failures,
    now, password_resets, sandbox_mails, sessions,
};
use crate::jobs::{Context, Job, Next};

const EVERY: Duration = Duration::from_secs(300);

pub struct Cleanup {
    db: Db,
    /// A session's absolute lifetime (`ANAF_PORTAL_SESSION_ABSOLUTE_TIMEOUT`).
    absolute: TimeDelta,
    /// How long a login failure counts.
    failure_window: TimeDelta,
}

impl Cleanup {
    pub fn new(db: Db, absolute: Duration, failure_window: Duration) -> Cleanup {
        Cleanup {
            db,
            absolute: TimeDelta::from_std(absolute).unwrap_or(TimeDelta::MAX),
            failure_window: TimeDelta::from_std(failure_window).unwrap_or(TimeDelta::MAX),
        }
    }
}

impl Job for Cleanup {
    fn name(&self) -> &'static str {
        "cleanup"
    }

    fn interval(&self) -> Duration {
        EVERY
    }

    fn run_once<'a>(&'a self, _ctx: &'a Context) -> BoxFuture<'a, anyhow::Result<Next>> {
        let (absolute, window) = (self.absolute, self.failure_window);
        Box::pin(async move {
            self.db
                .run(move |conn| {
                    let at = now();
                    sessions::delete_expired(
                        conn,
                        at,
                        at.checked_sub_signed(absolute)
                            .unwrap_or(NaiveDateTime::MIN),
                    )?;
                    login_failures::delete_older_than(
                        conn,
                        at.checked_sub_signed(window).unwrap_or(NaiveDateTime::MIN),
                    )?;
                    call_counts::delete_before(conn, None, at - TimeDelta::days(2))?;
                    // The budget's buckets: the lifecycle page shows its last 15 minutes.
                    call_counts::delete_before(
                        conn,
                        Some(call_counts::ANAF),
                        at - TimeDelta::minutes(30),
                    )?;
                    for per_second in [call_counts::ANAF_BACKGROUND, call_counts::ANAF_REGISTRY] {
                        call_counts::delete_before(
                            conn,
                            Some(per_second),
                            at - TimeDelta::minutes(10),
                        )?;
                    }
                    anaf_budget::delete_key_counts_before(conn, at - TimeDelta::minutes(10))?;
                    engine_instances::delete_silent_since(conn, at - TimeDelta::days(1))?;
                    email_verifications::delete_expired(conn, at - TimeDelta::days(1))?;
                    password_resets::delete_expired(conn, at - TimeDelta::days(1))?;
                    email_changes::delete_expired(conn, at - TimeDelta::days(1))?;
                    sandbox_mails::delete_older_than(conn, at - TimeDelta::days(7))?;
                    Ok(())
                })
                .await?;
            Ok(Next::Tick)
        })
    }
}
