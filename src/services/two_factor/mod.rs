//! Second factors: enrolling an authenticator app (TOTP), recovery codes, the sign-in step after
//! the password, re-authentication before what gives a secret away, and the policy of who must
//! use two-factor. The authenticator's secret is sealed by the token vault (the same key and
//! AES-256-GCM sealing as every stored secret, bound to the person's row); recovery codes are
//! kept as SHA-256 only (80 random bits each, like API keys). Code attempts are counted by the
//! login limiter, per client address and per account, like passwords. Every change is audited
//! and mailed to the account's (verified) address through the outbox.

mod check;
pub mod passkeys;
mod rotate;

pub use check::{Checked, PasswordChecked};
pub use rotate::reseal_secrets;

use std::sync::Arc;

use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};

use crate::db::Db;
use crate::db::models::{mail_outbox, two_factor, users};
use crate::domain::two_factor::{
    Factor, RECOVERY_CODES, SECRET_BYTES, TwoFactorPolicy, TypedCode, grouped, new_secret,
    otpauth_uri, recovery_code, recovery_code_bytes,
};
use crate::domain::{Actor, AuditAction, AuditEvent, UserId};
use crate::i18n::Lang;
use crate::secrets::sha256_hex;
use crate::services::accounts::Passwords;
use crate::services::accounts::User;
use crate::services::accounts::login_limiter::LoginLimiter;
use crate::services::audit::AuditLog;
use crate::services::notify::mail::MailComposer;
use crate::services::tokens::vault::TokenVault;

/// The name authenticator apps show above the code.
const ISSUER: &str = "ANAF Portal";

#[derive(Clone)]
pub struct TwoFactorService {
    db: Db,
    vault: Arc<TokenVault>,
    limiter: LoginLimiter,
    passwords: Passwords,
    audit: AuditLog,
    composer: MailComposer,
    /// The WebAuthn relying party; `None` when the portal's public URL has no domain name.
    webauthn: Option<Arc<webauthn_rs::Webauthn>>,
}

/// Where a person's two-factor stands, for the security page.
pub struct SecurityState {
    pub enabled: bool,
    /// An enrolment waiting for its first correct code: what to show the authenticator.
    pub enrolment: Option<Enrolment>,
    pub recovery_codes_left: i64,
    /// Whether the policy requires two-factor of this person.
    pub required: bool,
}

/// The secret of an enrolment, as the page shows it (only to its owner).
pub struct Enrolment {
    /// Base32 in groups of four.
    pub secret_text: String,
    /// The `otpauth://` address the QR code carries.
    pub uri: String,
}

/// What confirming an enrolment, regenerating codes or disabling came to.
pub enum Changed {
    /// Done; the new recovery codes when there are some (shown this once).
    Done { recovery_codes: Vec<String> },
    /// The code was refused (wrong, replayed, or the limit is reached).
    Refused(Checked),
    /// There is nothing to confirm or change (no enrolment started, or two-factor is off).
    Nothing,
}

/// The person signed in, and whether the policy makes them enrol before anything else.
pub struct SessionUser {
    pub user: User,
    pub must_enrol: bool,
}

fn binding(user_id: UserId) -> Vec<u8> {
    format!("user_totp/{user_id}/secret").into_bytes()
}

impl TwoFactorService {
    pub fn new(
        db: Db,
        vault: Arc<TokenVault>,
        limiter: LoginLimiter,
        passwords: Passwords,
        audit: AuditLog,
        composer: MailComposer,
        webauthn: Option<Arc<webauthn_rs::Webauthn>>,
    ) -> TwoFactorService {
        TwoFactorService {
            db,
            vault,
            limiter,
            passwords,
            audit,
            composer,
            webauthn,
        }
    }

    /// The factors the account has switched on (empty: a password is enough).
    pub async fn factors(&self, user: UserId) -> anyhow::Result<Vec<Factor>> {
        self.db
            .run(move |conn| Ok(two_factor::factors_of(conn, user)?))
            .await
    }

    /// Whether a typed code can complete `user`'s sign-in: an authenticator app is on, or
    /// recovery codes are left.
    pub async fn takes_codes(&self, user: UserId) -> anyhow::Result<bool> {
        self.db
            .run(move |conn| {
                Ok(two_factor::factors_of(conn, user)?.contains(&Factor::Totp)
                    || two_factor::recovery_codes_left(conn, user)? > 0)
            })
            .await
    }

    /// The account with this id when it may be signed in (enabled), and whether the policy
    /// requires two-factor of it while it has none: one trip to the database per request.
    pub async fn session_user(&self, id: UserId) -> anyhow::Result<Option<SessionUser>> {
        self.db
            .run(move |conn| {
                let Some((user, policy)) = two_factor::user_with_policy(conn, id)? else {
                    return Ok(None);
                };
                if user.is_disabled() {
                    return Ok(None);
                }
                let must_enrol = policy.any() && {
                    let company_admin =
                        policy.company_admins && two_factor::is_company_admin(conn, user.id)?;
                    policy.requires(user.role, company_admin)
                        && two_factor::factors_of(conn, user.id)?.is_empty()
                };
                Ok(Some(SessionUser { user, must_enrol }))
            })
            .await
    }

    pub async fn state(&self, user: &User) -> anyhow::Result<SecurityState> {
        let user_id = user.id;
        let (row, left, policy, company_admin) = self
            .db
            .run(move |conn| {
                Ok((
                    two_factor::totp_of(conn, user_id)?,
                    two_factor::recovery_codes_left(conn, user_id)?,
                    two_factor::policy(conn)?,
                    two_factor::is_company_admin(conn, user_id)?,
                ))
            })
            .await?;
        let enabled = row.as_ref().is_some_and(|r| r.enabled_at.is_some());
        let enrolment = match row.filter(|r| r.enabled_at.is_none()) {
            Some(row) => {
                let secret =
                    self.vault
                        .open_bound(&row.key_id, &binding(user_id), &row.secret_sealed)?;
                Some(Enrolment {
                    secret_text: grouped(secret.expose_secret()),
                    uri: otpauth_uri(ISSUER, &user.email, secret.expose_secret()),
                })
            }
            None => None,
        };
        Ok(SecurityState {
            enabled,
            enrolment,
            recovery_codes_left: left,
            required: policy.requires(user.role, company_admin),
        })
    }

    /// Starts (or restarts) an enrolment with a new secret; false when two-factor is on already.
    pub async fn start(&self, user: UserId) -> anyhow::Result<bool> {
        let mut random = [0u8; SECRET_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut random);
        let secret = SecretString::from(new_secret(&random));
        let sealed = self.vault.seal_bound(&binding(user), &secret)?;
        let key_id = self.vault.current_key().as_str().to_owned();
        let started = self
            .db
            .run(move |conn| Ok(two_factor::start_totp(conn, user, &key_id, &sealed)?))
            .await?;
        if started {
            tracing::info!(user_id = user.get(), "two-factor enrolment started");
        }
        Ok(started)
    }

    /// Confirms the enrolment with a code of the new secret: two-factor is then on, and ten
    /// recovery codes are made.
    pub async fn confirm(
        &self,
        actor: &Actor,
        user: &User,
        code: &str,
        ip: &str,
    ) -> anyhow::Result<Changed> {
        let user_id = user.id;
        let Some(row) = self
            .db
            .run(move |conn| Ok(two_factor::totp_of(conn, user_id)?))
            .await?
            .filter(|r| r.enabled_at.is_none())
        else {
            return Ok(Changed::Nothing);
        };
        let step = match self.totp_step(actor, user_id, &row, code, ip).await? {
            Ok(step) => step,
            Err(refused) => return Ok(Changed::Refused(refused)),
        };
        let codes = new_recovery_codes();
        let hashes = hashes_of(&codes);
        let enabled = self
            .db
            .run(move |conn| {
                crate::db::write_transaction(conn, |conn| {
                    let enabled = two_factor::enable_totp(conn, user_id, step)?;
                    if enabled == 1 {
                        two_factor::replace_recovery_codes(conn, user_id, &hashes)?;
                    }
                    Ok(enabled)
                })
            })
            .await?;
        if enabled == 0 {
            return Ok(Changed::Nothing);
        }
        Ok(self
            .done(
                actor,
                user,
                AuditAction::TwoFactorEnabled,
                "twofactor-mail_enabled",
                codes,
            )
            .await)
    }

    /// New recovery codes in place of the old ones; needs a current factor (`code`).
    pub async fn regenerate(
        &self,
        actor: &Actor,
        user: &User,
        code: &str,
        ip: &str,
    ) -> anyhow::Result<Changed> {
        match self.check(actor, user.id, code, ip).await? {
            Checked::Accepted { .. } => {}
            Checked::NotEnrolled => return Ok(Changed::Nothing),
            refused => return Ok(Changed::Refused(refused)),
        }
        let codes = new_recovery_codes();
        let hashes = hashes_of(&codes);
        let user_id = user.id;
        self.db
            .run(move |conn| Ok(two_factor::replace_recovery_codes(conn, user_id, &hashes)?))
            .await?;
        Ok(self
            .done(
                actor,
                user,
                AuditAction::RecoveryCodesRegenerated,
                "twofactor-mail_regenerated",
                codes,
            )
            .await)
    }

    /// The authenticator app off; needs a current factor (`code`). Passkeys stay as they are.
    pub async fn disable(
        &self,
        actor: &Actor,
        user: &User,
        code: &str,
        ip: &str,
    ) -> anyhow::Result<Changed> {
        if !self.factors(user.id).await?.contains(&Factor::Totp) {
            return Ok(Changed::Nothing);
        }
        match self.check(actor, user.id, code, ip).await? {
            Checked::Accepted { .. } => {}
            Checked::NotEnrolled => return Ok(Changed::Nothing),
            refused => return Ok(Changed::Refused(refused)),
        }
        let user_id = user.id;
        self.db
            .run(move |conn| {
                crate::db::write_transaction(conn, |conn| {
                    Ok(two_factor::delete_all(conn, user_id)?)
                })
            })
            .await?;
        Ok(self
            .done(
                actor,
                user,
                AuditAction::TwoFactorDisabled,
                "twofactor-mail_disabled",
                Vec::new(),
            )
            .await)
    }

    pub async fn policy(&self) -> anyhow::Result<TwoFactorPolicy> {
        self.db.run(|conn| Ok(two_factor::policy(conn)?)).await
    }

    /// A platform admin sets who must use two-factor. Audited with the new setting.
    pub async fn set_policy(&self, actor: &Actor, policy: TwoFactorPolicy) -> anyhow::Result<()> {
        let by = actor
            .user_id
            .ok_or_else(|| anyhow::anyhow!("the policy is set by a person"))?;
        self.db
            .run(move |conn| Ok(two_factor::set_policy(conn, policy, by)?))
            .await?;
        let detail = format!(
            "platform admins: {}, support staff: {}, company admins: {}",
            policy.platform_admins, policy.support_staff, policy.company_admins
        );
        tracing::info!(%detail, "two-factor policy changed");
        self.audit
            .record(
                actor,
                AuditEvent::success(AuditAction::TwoFactorPolicyChanged).detail(detail),
            )
            .await;
        Ok(())
    }

    /// A change made: audited, mailed (`change`: the mail's catalog key), and what to show.
    async fn done(
        &self,
        actor: &Actor,
        user: &User,
        action: AuditAction,
        change: &'static str,
        recovery_codes: Vec<String>,
    ) -> Changed {
        self.audit.record(actor, AuditEvent::success(action)).await;
        self.mail(user, change).await;
        Changed::Done { recovery_codes }
    }

    /// Queues the account mail about a change of its two-factor (`change`: the catalog key of
    /// what changed), in the person's language, to a verified address only.
    async fn mail(&self, user: &User, change: &'static str) {
        if !user.is_verified() {
            return;
        }
        let (user_id, email, composer) = (user.id, user.email.clone(), self.composer.clone());
        let queued = self
            .db
            .run(move |conn| {
                let lang = users::email_settings(conn, user_id)?
                    .and_then(|(_, code)| Lang::parse(&code))
                    .unwrap_or(Lang::Ro);
                let rendered = composer.two_factor_changed(lang.catalog(), change);
                mail_outbox::enqueue(
                    conn,
                    mail_outbox::NewMail {
                        user_id: Some(user_id),
                        recipient: email,
                        kind: "security",
                        event_id: None,
                        subject: rendered.subject,
                        body_text: rendered.text,
                        body_html: rendered.html,
                        dedupe_key: None,
                    },
                )?;
                Ok(())
            })
            .await;
        if let Err(error) = queued {
            tracing::warn!(error = %error, "a two-factor change mail was not queued");
        }
    }
}

pub(super) fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut random = vec![0u8; recovery_code_bytes()];
            rand::rngs::OsRng.fill_bytes(&mut random);
            recovery_code(&random)
        })
        .collect()
}

/// What is stored of codes: the SHA-256 of their normalised form (as typed back).
pub(super) fn hashes_of(codes: &[String]) -> Vec<String> {
    codes
        .iter()
        .filter_map(|code| match TypedCode::parse(code) {
            Some(TypedCode::Recovery(normal)) => Some(sha256_hex(&normal)),
            _ => None,
        })
        .collect()
}
