//! Failed-login limits, counted in the database so that every instance behind a load balancer
//! enforces the same limit; a lock lifts itself when the oldest counted failure leaves the window.
//!
//! Per client address, and per account following OWASP's device cookies: a browser that has
//! logged in to an account before carries a signed cookie for it and gets a failure budget of its
//! own, so failures from elsewhere (an attacker rotating addresses) never lock the owner's browser
//! out; browsers without one share the account's budget.

use crate::domain::UserId;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::TimeDelta;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretBox};
use sha2::Sha256;

use crate::config::LoginLimits;
use crate::db::DbConnection;
use crate::db::models::{login_failures, now};

/// The device cookie: `nonce.signature`, the signature over the account and the nonce.
pub const DEVICE_COOKIE: &str = "anaf_portal_device";
/// How long a browser stays known to an account.
pub const DEVICE_COOKIE_DAYS: i64 = 365;

/// Registrations one client address may make within the failure window.
pub const REGISTRATIONS_PER_CLIENT: u32 = 30;

/// "Forgot password" requests one client address may make within the failure window (each
/// account is also mailed at most `recovery::RESETS_PER_ACCOUNT` links an hour).
pub const RESET_REQUESTS_PER_CLIENT: u32 = 10;

/// How many attempts are left before a lock when the login page starts warning.
pub const WARN_WHEN_LEFT: u32 = 2;

#[derive(Clone)]
pub struct LoginLimiter {
    limits: LoginLimits,
    device_key: std::sync::Arc<SecretBox<Vec<u8>>>,
}

/// The rows a login attempt is counted under: its address, and its browser's own budget when the
/// browser is known to the account, else the account's shared one.
#[derive(Debug, Clone)]
pub struct Subjects {
    ip: String,
    account: String,
}

impl Subjects {
    /// `account` is the normalised email, or what was typed when it is not a valid address;
    /// `device` the nonce of a device cookie that verified for it.
    pub fn new(ip: &str, account: &str, device: Option<&str>) -> Subjects {
        Subjects {
            ip: format!("ip:{ip}"),
            account: match device {
                Some(nonce) => format!("device:{nonce}"),
                None => format!("account:{account}"),
            },
        }
    }
}

impl Subjects {
    /// A second-factor code or a re-authentication of the signed-in account `user_id`: under
    /// the client address (shared with password attempts) and the account's own budget.
    pub fn second_factor(ip: &str, user_id: UserId) -> Subjects {
        Subjects {
            ip: format!("ip:{ip}"),
            account: format!("factor:{user_id}"),
        }
    }

    /// A registration, counted apart from login failures: under its client address and under
    /// the email it registers (each costs an Argon2 hash and a mail).
    pub fn registration(ip: &str, email: &str) -> Subjects {
        Subjects {
            ip: format!("register-ip:{ip}"),
            account: format!("register:{email}"),
        }
    }
}

impl LoginLimiter {
    pub fn new(limits: LoginLimits, device_key: SecretBox<Vec<u8>>) -> Self {
        LoginLimiter {
            limits,
            device_key: std::sync::Arc::new(device_key),
        }
    }

    fn signature(&self, account: &str, nonce: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.device_key.expose_secret())
            .expect("HMAC takes a key of any length");
        mac.update(account.as_bytes());
        mac.update(b"|");
        mac.update(nonce.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// A new device cookie value for a browser that just logged in to `account`.
    pub fn device_cookie(&self, account: &str) -> String {
        let nonce = crate::secrets::random_token(16);
        let signature = self.signature(account, &nonce);
        format!("{nonce}.{signature}")
    }

    /// The nonce of `cookie` when it was issued to a browser that logged in to `account`.
    pub fn known_device<'c>(&self, account: &str, cookie: &'c str) -> Option<&'c str> {
        let (nonce, signature) = cookie.split_once('.')?;
        let expected = self.signature(account, nonce);
        crate::secrets::constant_time_eq(signature.as_bytes(), expected.as_bytes()).then_some(nonce)
    }

    fn window(&self) -> TimeDelta {
        TimeDelta::from_std(self.limits.window).unwrap_or(TimeDelta::MAX)
    }

    /// `Some(wait)` when either the address or the account (or known browser) has used up its
    /// failures.
    pub fn locked_for(
        &self,
        conn: &mut DbConnection,
        subjects: &Subjects,
    ) -> diesel::QueryResult<Option<Duration>> {
        let max = self.limits.max_failures;
        let by_ip = self.wait_for(conn, &subjects.ip, max)?;
        let by_account = self.wait_for(conn, &subjects.account, max)?;
        Ok(by_ip.max(by_account))
    }

    /// `Some(wait)` when the registered email has had `max_failures` registrations within the
    /// window, or the client `REGISTRATIONS_PER_CLIENT` (an office behind one address registers
    /// its people without tripping it; a script hashing Argon2 for new addresses does).
    pub fn registration_locked_for(
        &self,
        conn: &mut DbConnection,
        subjects: &Subjects,
    ) -> diesel::QueryResult<Option<Duration>> {
        let by_ip = self.wait_for(conn, &subjects.ip, REGISTRATIONS_PER_CLIENT)?;
        let by_email = self.wait_for(conn, &subjects.account, self.limits.max_failures)?;
        Ok(by_ip.max(by_email))
    }

    /// How long `subject` stays locked, having counted `max` failures within the window.
    fn wait_for(
        &self,
        conn: &mut DbConnection,
        subject: &str,
        max: u32,
    ) -> diesel::QueryResult<Option<Duration>> {
        let at = now();
        let (count, oldest) = login_failures::count_since(conn, subject, at - self.window())?;
        if count < i64::from(max) {
            return Ok(None);
        }
        let unlocks = oldest.unwrap_or(at) + self.window();
        Ok(Some(
            (unlocks - at)
                .to_std()
                .unwrap_or_default()
                .max(Duration::from_secs(1)),
        ))
    }

    /// How long a lock lasts at most: the failure window.
    pub fn lock_duration(&self) -> Duration {
        self.limits.window
    }

    /// Records a failed login; how many attempts the stricter of its budgets has left before
    /// it locks (0: locked now).
    pub fn record_failure_left(
        &self,
        conn: &mut DbConnection,
        subjects: &Subjects,
    ) -> diesel::QueryResult<u32> {
        self.record_failure(conn, subjects)?;
        let since = now() - self.window();
        let (by_ip, _) = login_failures::count_since(conn, &subjects.ip, since)?;
        let (by_account, _) = login_failures::count_since(conn, &subjects.account, since)?;
        let left = i64::from(self.limits.max_failures) - by_ip.max(by_account);
        Ok(u32::try_from(left).unwrap_or(0))
    }

    /// Counts one "forgot password" request from `ip`; `Some(wait)` (and nothing counted) when
    /// the address has made `RESET_REQUESTS_PER_CLIENT` within the window.
    pub fn count_reset_request(
        &self,
        conn: &mut DbConnection,
        ip: &str,
    ) -> diesel::QueryResult<Option<Duration>> {
        let subject = format!("reset-ip:{ip}");
        if let Some(wait) = self.wait_for(conn, &subject, RESET_REQUESTS_PER_CLIENT)? {
            return Ok(Some(wait));
        }
        let at = now();
        login_failures::record(conn, &[&subject], at)?;
        login_failures::delete_older_than(conn, at - self.window())?;
        Ok(None)
    }

    /// Forgets the failed logins counted against the account's shared budget (its owner just
    /// proved the mailbox and set a new password).
    pub fn clear_account(&self, conn: &mut DbConnection, account: &str) -> diesel::QueryResult<()> {
        login_failures::clear(conn, &format!("account:{account}"))?;
        Ok(())
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

    /// A successful login clears the failures of its account budget (the browser's, or the
    /// shared one), not the address's: one good password must not reset an attacker's count
    /// against other accounts.
    pub fn record_success(
        &self,
        conn: &mut DbConnection,
        subjects: &Subjects,
    ) -> diesel::QueryResult<()> {
        login_failures::clear(conn, &subjects.account)?;
        Ok(())
    }
}
