//! Failed-login limits per client address and per account, counted in the database so that every
//! instance behind a load balancer enforces the same limit. A lock lifts itself when the oldest
//! counted failure leaves the window.

use std::time::Duration;

use chrono::TimeDelta;

use crate::config::LoginLimits;
use crate::db::DbConnection;
use crate::db::models::{login_failures, now};

#[derive(Debug, Clone)]
pub struct LoginLimiter {
    limits: LoginLimits,
}

/// The rows a login attempt is counted under.
#[derive(Debug, Clone)]
pub struct Subjects {
    ip: String,
    account: String,
}

impl Subjects {
    /// `account` is the normalised email, or what was typed when it is not a valid address.
    pub fn new(ip: &str, account: &str) -> Subjects {
        Subjects {
            ip: format!("ip:{ip}"),
            account: format!("account:{account}"),
        }
    }
}

impl LoginLimiter {
    pub fn new(limits: LoginLimits) -> Self {
        LoginLimiter { limits }
    }

    fn window(&self) -> TimeDelta {
        TimeDelta::from_std(self.limits.window).unwrap_or(TimeDelta::MAX)
    }

    /// `Some(wait)` when either the address or the account has used up its failures.
    pub fn locked_for(
        &self,
        conn: &mut DbConnection,
        subjects: &Subjects,
    ) -> diesel::QueryResult<Option<Duration>> {
        let at = now();
        let since = at - self.window();
        let mut wait: Option<Duration> = None;
        for subject in [&subjects.ip, &subjects.account] {
            let (count, oldest) = login_failures::count_since(conn, subject, since)?;
            if count >= i64::from(self.limits.max_failures) {
                let unlocks = oldest.unwrap_or(at) + self.window();
                let remaining = (unlocks - at)
                    .to_std()
                    .unwrap_or_default()
                    .max(Duration::from_secs(1));
                wait = Some(wait.map_or(remaining, |w| w.max(remaining)));
            }
        }
        Ok(wait)
    }

    pub fn record_failure(
        &self,
        conn: &mut DbConnection,
        subjects: &Subjects,
    ) -> diesel::QueryResult<()> {
        let at = now();
        login_failures::record(conn, &[&subjects.ip, &subjects.account], at)?;
        // Keep the table small: forget failures that no longer count.
        login_failures::delete_older_than(conn, at - self.window())?;
        Ok(())
    }

    /// A successful login clears the account's failures (not the address's: one good password
    /// must not reset an attacker's count against other accounts).
    pub fn record_success(
        &self,
        conn: &mut DbConnection,
        subjects: &Subjects,
    ) -> diesel::QueryResult<()> {
        login_failures::clear(conn, &subjects.account)?;
        Ok(())
    }
}
