//! Accounts and the proof of their email address. Registration answers the same whether or not
//! the address has an account (the owner of an existing one is told someone tried); a new
//! account is unverified until its owner, logged in, opens the single-use link mailed to it.
//! Invitations, notification mails and authorization-link mails trust only a verified address.

pub mod admin;
pub mod api_keys;
pub mod changes;
pub mod login_limiter;
pub mod password;
pub mod profile;
pub mod recovery;
pub mod sessions;

pub use password::Passwords;

// The rows these calls answer with, for the layers above to name.
pub use crate::db::models::email_verifications::Verification;
pub use profile::User;

use crate::db::Db;
use crate::db::models::email_verifications;
use crate::db::models::now;
use crate::db::models::users::{self, CreateUserError, Verified};
use crate::domain::UserId;
use crate::domain::{Actor, AuditAction, AuditEvent, Email, Password};
use crate::i18n::Lang;
use crate::secrets::{random_token, sha256_hex};
use crate::services::audit::AuditLog;
use crate::services::notify::mail::{MailComposer, Mailer};
use chrono::TimeDelta;
use login_limiter::{LoginLimiter, Subjects};

/// How long a verification link works.
pub const LINK_LIFETIME: TimeDelta = TimeDelta::hours(24);
/// At most this many verification links are mailed to one account within `RESEND_WINDOW`.
pub const LINKS_PER_WINDOW: i64 = 3;
pub const RESEND_WINDOW: TimeDelta = TimeDelta::hours(1);

/// What asking for a verification link did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkSent {
    Sent,
    /// `LINKS_PER_WINDOW` links went out within the window already.
    TooMany,
    /// The portal sends no email (no SMTP server, not the sandbox): a platform admin verifies.
    NoEmail,
    /// The mail server refused or did not answer.
    Failed,
}

/// What a registration came to, as the person who registered may learn it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registered {
    /// Done, or a note went to the address's owner: the same answer either way.
    Answered,
    /// Too many registrations for this address or from this client; try again after `wait`.
    TooMany { wait: std::time::Duration },
}

#[derive(Clone)]
pub struct AccountService {
    db: Db,
    passwords: Passwords,
    limiter: LoginLimiter,
    mailer: Option<Mailer>,
    composer: MailComposer,
    audit: AuditLog,
}

impl AccountService {
    pub fn new(
        db: Db,
        passwords: Passwords,
        limiter: LoginLimiter,
        mailer: Option<Mailer>,
        composer: MailComposer,
        audit: AuditLog,
    ) -> AccountService {
        AccountService {
            db,
            passwords,
            limiter,
            mailer,
            composer,
            audit,
        }
    }

    /// Registers `email`, or, when it has an account already, tells that account's owner that
    /// someone tried. Either way the password is hashed and one mail is sent, so neither the
    /// answer nor its time says which happened. Each registration costs an Argon2 hash and a
    /// mail, so they are counted per address and per client (`client_ip`).
    pub async fn register(
        &self,
        email: &Email,
        password: &Password,
        lang: Lang,
        client_ip: &str,
    ) -> anyhow::Result<Registered> {
        let subjects = Subjects::registration(client_ip, email.as_str());
        let limiter = self.limiter.clone();
        let locked_for = self
            .db
            .run(move |conn| {
                let locked = limiter.registration_locked_for(conn, &subjects)?;
                if locked.is_none() {
                    limiter.record_failure(conn, &subjects)?;
                }
                Ok(locked)
            })
            .await?;
        if let Some(wait) = locked_for {
            tracing::warn!("registration refused: too many for this address or client");
            return Ok(Registered::TooMany { wait });
        }
        let hash = self.passwords.hash(password.secret().clone()).await?;
        let new_email = email.clone();
        let created = self
            .db
            .run(move |conn| {
                Ok(users::create(
                    conn,
                    &new_email,
                    &hash,
                    None,
                    lang.code(),
                    Verified::No,
                ))
            })
            .await?;
        match created {
            Ok(user) => {
                tracing::info!(user_id = %user.id, role = %user.role, "account registered");
                self.send_link(&user, lang).await?;
            }
            Err(CreateUserError::EmailTaken) => {
                tracing::info!("registration for an address that has an account");
                let rendered = self.composer.registration_attempt(lang.catalog());
                self.mail(email.as_str(), &rendered).await;
            }
            Err(CreateUserError::Database(e)) => return Err(e.into()),
        }
        Ok(Registered::Answered)
    }

    /// Mails `user` a new link that proves their address, within the resend limit.
    pub async fn send_link(&self, user: &User, lang: Lang) -> anyhow::Result<LinkSent> {
        if self.mailer.is_none() {
            return Ok(LinkSent::NoEmail);
        }
        let secret = random_token(32);
        let secret_hash = sha256_hex(&secret);
        let (user_id, address) = (user.id, user.email.clone());
        let issued = self
            .db
            .run(move |conn| {
                let at = now();
                let recent = email_verifications::issued_since(conn, user_id, at - RESEND_WINDOW)?;
                if recent >= LINKS_PER_WINDOW {
                    return Ok(false);
                }
                email_verifications::issue(
                    conn,
                    user_id,
                    &address,
                    &secret_hash,
                    at + LINK_LIFETIME,
                )?;
                Ok(true)
            })
            .await?;
        if !issued {
            return Ok(LinkSent::TooMany);
        }
        let rendered = self
            .composer
            .verification(lang.catalog(), &format!("/verify-email/{secret}"));
        Ok(match self.mail(&user.email, &rendered).await {
            true => LinkSent::Sent,
            false => LinkSent::Failed,
        })
    }

    /// `user` opened verification link `secret`; it proves their address if it was mailed to
    /// them, to the address they have, is unused and has not expired.
    pub async fn verify(
        &self,
        actor: &Actor,
        user: &User,
        secret: &str,
    ) -> anyhow::Result<Verification> {
        let (user_id, secret_hash) = (user.id, sha256_hex(secret));
        let outcome = self
            .db
            .run(move |conn| Ok(email_verifications::consume(conn, user_id, &secret_hash)?))
            .await?;
        if outcome == Verification::Verified && !user.is_verified() {
            self.audit
                .record(
                    actor,
                    AuditEvent::success(AuditAction::EmailVerified).detail(user.email.clone()),
                )
                .await;
        }
        Ok(outcome)
    }

    /// A platform admin vouches for account `user_id`'s address (no SMTP, or the owner asked).
    /// Whether the account exists. Audited.
    pub async fn verify_by_admin(&self, actor: &Actor, user_id: UserId) -> anyhow::Result<bool> {
        let found = self
            .db
            .run(move |conn| {
                let before = users::find(conn, user_id)?;
                users::mark_verified(conn, user_id)?;
                Ok(before)
            })
            .await?;
        let Some(user) = found else {
            return Ok(false);
        };
        if !user.is_verified() {
            self.audit
                .record(
                    actor,
                    AuditEvent::success(AuditAction::EmailVerified)
                        .detail(format!("{} (by a platform admin)", user.email)),
                )
                .await;
        }
        Ok(true)
    }

    /// Sends one account mail; whether it went. A failure is logged, never shown to whoever
    /// registered (it would tell whether the address has an account).
    async fn mail(&self, to: &str, rendered: &crate::services::notify::mail::Rendered) -> bool {
        let Some(mailer) = &self.mailer else {
            return false;
        };
        match mailer
            .send(to, &rendered.subject, &rendered.text, &rendered.html)
            .await
        {
            Ok(()) => true,
            Err(error) => {
                tracing::warn!(error = %error, "an account mail was not sent");
                false
            }
        }
    }
}
