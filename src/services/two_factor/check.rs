//! Checking what a person typed: an authenticator code (accepted once: the last accepted time
//! step is remembered, so a replay inside its window is refused), a recovery code (spent), or
//! a password (re-authentication). Every attempt is counted by the login limiter.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use crate::db::models::now;
use crate::db::models::two_factor::{self, TotpRow};
use crate::domain::two_factor::{TypedCode, matching_step, secret_bytes, step_at};
use crate::domain::{Actor, AuditAction, AuditEvent, UserId};
use crate::secrets::sha256_hex;
use crate::services::accounts::login_limiter::Subjects;
use crate::services::two_factor::{TwoFactorService, binding};

/// What checking a second-factor code came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    /// The code counts. `recovery_left`: a recovery code was spent, this many remain.
    Accepted { recovery_left: Option<i64> },
    /// Neither a current authenticator code nor an unused recovery code.
    Wrong,
    /// An authenticator code already used (its time step, or a later one, was accepted).
    Replayed,
    /// Too many refused attempts; try again after `wait`.
    Locked { wait: Duration },
    /// The account has no second factor.
    NotEnrolled,
}

/// What checking a password (re-authentication) came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordChecked {
    Accepted,
    Wrong,
    Locked { wait: Duration },
}

fn unix_now() -> u64 {
    u64::try_from(now().and_utc().timestamp()).unwrap_or_default()
}

impl TwoFactorService {
    /// Checks `code` against the account's second factor.
    pub async fn check(
        &self,
        actor: &Actor,
        user: UserId,
        code: &str,
        ip: &str,
    ) -> anyhow::Result<Checked> {
        let subjects = Subjects::second_factor(ip, user);
        // Something that cannot be a code (empty, letters in six characters) is no guess at
        // one: refused without counting.
        let Some(typed) = TypedCode::parse(code) else {
            return Ok(Checked::Wrong);
        };
        let (limiter, vault) = (self.limiter.clone(), self.vault.clone());
        let checked = self
            .db
            .run(move |conn| {
                if let Some(wait) = limiter.locked_for(conn, &subjects)? {
                    return Ok(Checked::Locked { wait });
                }
                if two_factor::factors_of(conn, user)?.is_empty() {
                    return Ok(Checked::NotEnrolled);
                }
                // Passkeys without an app: only a recovery code can be typed.
                let app = two_factor::totp_of(conn, user)?.filter(|r| r.enabled_at.is_some());
                let checked = match (typed, app) {
                    (TypedCode::Totp(_), None) => Checked::Wrong,
                    (TypedCode::Totp(code), Some(row)) => {
                        let secret = vault.open_bound(
                            &row.key_id,
                            &binding(row.user_id),
                            &row.secret_sealed,
                        )?;
                        let bytes = secret_bytes(secret.expose_secret())
                            .ok_or_else(|| anyhow::anyhow!("a stored TOTP secret is not base32"))?;
                        match matching_step(&bytes, &code, step_at(unix_now())) {
                            None => Checked::Wrong,
                            Some(step) => {
                                let step = i64::try_from(step).unwrap_or(i64::MAX);
                                match two_factor::accept_step(conn, user, step)? {
                                    0 => Checked::Replayed,
                                    _ => Checked::Accepted {
                                        recovery_left: None,
                                    },
                                }
                            }
                        }
                    }
                    (TypedCode::Recovery(normal), _) => {
                        match two_factor::use_recovery_code(conn, user, &sha256_hex(&normal))? {
                            0 => Checked::Wrong,
                            _ => Checked::Accepted {
                                recovery_left: Some(two_factor::recovery_codes_left(conn, user)?),
                            },
                        }
                    }
                };
                match checked {
                    Checked::Accepted { .. } => limiter.record_success(conn, &subjects)?,
                    _ => limiter.record_failure(conn, &subjects)?,
                }
                Ok(checked)
            })
            .await?;
        self.audit_check(actor, &checked).await;
        Ok(checked)
    }

    async fn audit_check(&self, actor: &Actor, checked: &Checked) {
        let event = match checked {
            Checked::Accepted {
                recovery_left: Some(left),
            } => AuditEvent::success(AuditAction::RecoveryCodeUsed).detail(format!("{left} left")),
            Checked::Accepted {
                recovery_left: None,
            }
            | Checked::NotEnrolled => return,
            Checked::Wrong => {
                AuditEvent::failure(AuditAction::SecondFactorRefused).detail("wrong code")
            }
            Checked::Replayed => {
                AuditEvent::failure(AuditAction::SecondFactorRefused).detail("code already used")
            }
            Checked::Locked { .. } => {
                AuditEvent::failure(AuditAction::SecondFactorRefused).detail("too many attempts")
            }
        };
        if !matches!(checked, Checked::Accepted { .. }) {
            tracing::info!(user_id = ?actor.user_id, "a second-factor code was refused");
        }
        self.audit.record(actor, event).await;
    }

    /// Checks a code of a pending enrolment's secret: the time step it matched, or why not.
    pub(super) async fn totp_step(
        &self,
        actor: &Actor,
        user_id: UserId,
        row: &TotpRow,
        code: &str,
        ip: &str,
    ) -> anyhow::Result<Result<i64, Checked>> {
        let subjects = Subjects::second_factor(ip, user_id);
        let secret = self
            .vault
            .open_bound(&row.key_id, &binding(user_id), &row.secret_sealed)?;
        let bytes = secret_bytes(secret.expose_secret())
            .ok_or_else(|| anyhow::anyhow!("a stored TOTP secret is not base32"))?;
        let step = match TypedCode::parse(code) {
            Some(TypedCode::Totp(code)) => matching_step(&bytes, &code, step_at(unix_now())),
            // Not six digits: no guess, not counted.
            _ => return Ok(Err(Checked::Wrong)),
        };
        let limiter = self.limiter.clone();
        let outcome = self
            .db
            .run(move |conn| {
                if let Some(wait) = limiter.locked_for(conn, &subjects)? {
                    return Ok(Err(Checked::Locked { wait }));
                }
                Ok(match step {
                    Some(step) => {
                        limiter.record_success(conn, &subjects)?;
                        Ok(i64::try_from(step).unwrap_or(i64::MAX))
                    }
                    None => {
                        limiter.record_failure(conn, &subjects)?;
                        Err(Checked::Wrong)
                    }
                })
            })
            .await?;
        if let Err(refused) = &outcome {
            self.audit_check(actor, refused).await;
        }
        Ok(outcome)
    }

    /// Re-authentication by password: counted like a code.
    pub async fn check_password(
        &self,
        user: UserId,
        password: SecretString,
        ip: &str,
    ) -> anyhow::Result<PasswordChecked> {
        let subjects = Subjects::second_factor(ip, user);
        let limiter = self.limiter.clone();
        let (locked, hash) = {
            let subjects = subjects.clone();
            self.db
                .run(move |conn| {
                    Ok((
                        limiter.locked_for(conn, &subjects)?,
                        two_factor::password_hash(conn, user)?,
                    ))
                })
                .await?
        };
        if let Some(wait) = locked {
            return Ok(PasswordChecked::Locked { wait });
        }
        let matches = self.passwords.verify(password, hash).await?;
        let limiter = self.limiter.clone();
        self.db
            .run(move |conn| {
                if matches {
                    limiter.record_success(conn, &subjects)?;
                } else {
                    limiter.record_failure(conn, &subjects)?;
                }
                Ok(())
            })
            .await?;
        Ok(if matches {
            PasswordChecked::Accepted
        } else {
            tracing::info!(user_id = user.get(), "re-authentication: wrong password");
            PasswordChecked::Wrong
        })
    }
}
