//! A forgotten password: a single-use link mailed to the account's address ("forgot password"
//! on the login page), or issued by a platform admin to hand over where the portal sends no
//! mail, or a new password set by the operator (`anaf-portal user set-password`). Setting a new
//! password ends every session of the account.
//!
//! Asking for a link answers the same whether or not the address has an account, and the mail
//! goes out in the background, so neither the answer nor its time says which.

use chrono::TimeDelta;

use crate::db::models::sessions::Ending;
use crate::db::models::{now, password_resets, sessions, users};
use crate::db::{Db, write_transaction};
use crate::domain::{Actor, AuditAction, AuditEvent, Email, Password, UserId};
use crate::i18n::Lang;
use crate::secrets::{random_token, sha256_hex};
use crate::services::accounts::{AccountService, User};
use crate::services::audit::AuditLog;

/// How long a mailed reset link works.
pub const RESET_LIFETIME: TimeDelta = TimeDelta::minutes(30);
/// How long a link a platform admin issued works: it is handed over, which takes longer.
pub const ADMIN_LINK_LIFETIME: TimeDelta = TimeDelta::hours(24);
/// At most this many links are mailed to one account within `RESET_WINDOW`; further requests
/// get the same answer and no mail.
pub const RESETS_PER_ACCOUNT: i64 = 3;
pub const RESET_WINDOW: TimeDelta = TimeDelta::hours(1);

/// What asking for a reset link came to, as the person who asked may learn it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResetRequested {
    /// A link is on its way if the address has an account: the same answer either way.
    Answered,
    /// Too many requests from this client; try again after `wait`.
    TooMany { wait: std::time::Duration },
    /// The portal sends no email: a platform admin issues links.
    NoEmail,
}

/// What setting a new password through a link did.
#[derive(Debug, Clone)]
pub enum ResetDone {
    /// The account has the new password; `ended` sessions were ended.
    Done { user: User, ended: usize },
    /// The link is unknown, used, expired, or its account is disabled.
    Invalid,
}

/// What a platform admin's request for a reset link did.
#[derive(Debug, Clone)]
pub enum AdminLink {
    /// The link's portal-relative path, to show once.
    Issued {
        user: User,
        path: String,
    },
    /// A disabled account cannot log in: no link.
    Disabled,
    NotFound,
}

/// Whom a reset request found (kept inside the service: the answer never says).
enum Found {
    Nobody,
    /// The account had `RESETS_PER_ACCOUNT` links mailed within the window.
    Limited,
    Issued(User),
}

impl AccountService {
    /// Mails a reset link to `email` when it belongs to an enabled account, within the limits.
    pub async fn request_password_reset(
        &self,
        actor: &Actor,
        email: &Email,
        client_ip: &str,
    ) -> anyhow::Result<ResetRequested> {
        if self.mailer.is_none() {
            return Ok(ResetRequested::NoEmail);
        }
        let secret = random_token(32);
        let secret_hash = sha256_hex(&secret);
        let (limiter, ip, email) = (self.limiter.clone(), client_ip.to_owned(), email.clone());
        let found = self
            .db
            .run(move |conn| {
                if let Some(wait) = limiter.count_reset_request(conn, &ip)? {
                    return Ok(Err(wait));
                }
                let Some(user) = users::find_by_email(conn, &email)? else {
                    return Ok(Ok(Found::Nobody));
                };
                if user.is_disabled() {
                    return Ok(Ok(Found::Nobody));
                }
                let at = now();
                if password_resets::mailed_since(conn, user.id, at - RESET_WINDOW)?
                    >= RESETS_PER_ACCOUNT
                {
                    return Ok(Ok(Found::Limited));
                }
                password_resets::issue(conn, user.id, &secret_hash, None, at + RESET_LIFETIME)?;
                Ok(Ok(Found::Issued(user)))
            })
            .await?;
        let found = match found {
            Ok(found) => found,
            Err(wait) => {
                tracing::warn!("password reset refused: too many requests from this client");
                return Ok(ResetRequested::TooMany { wait });
            }
        };
        match found {
            Found::Nobody => tracing::info!("password reset asked for an address without account"),
            Found::Limited => {
                tracing::warn!("password reset not mailed: the account's hourly limit is reached")
            }
            Found::Issued(user) => {
                tracing::info!(user_id = %user.id, "password reset link issued");
                // In the background: the answer must not wait for the mail server, or its
                // time would tell that the address has an account.
                let this = self.clone();
                let actor = actor.clone();
                tokio::spawn(async move {
                    let lang = Lang::parse(&user.language).unwrap_or(Lang::Ro);
                    let rendered = this
                        .composer
                        .password_reset(lang.catalog(), &format!("/password/reset/{secret}"));
                    let event = match this.mail(&user.email, &rendered).await {
                        true => AuditEvent::success(AuditAction::PasswordResetRequested),
                        false => AuditEvent::failure(AuditAction::PasswordResetRequested),
                    };
                    this.audit.record(&actor, event.detail(user.email)).await;
                });
            }
        }
        Ok(ResetRequested::Answered)
    }

    /// The account whose password link `secret` sets, while the link works.
    pub async fn reset_target(&self, secret: &str) -> anyhow::Result<Option<User>> {
        let secret_hash = sha256_hex(secret);
        self.db
            .run(move |conn| {
                let Some(link) = password_resets::find_usable(conn, &secret_hash, now())? else {
                    return Ok(None);
                };
                Ok(users::find(conn, link.user_id)?.filter(|u| !u.is_disabled()))
            })
            .await
    }

    /// Sets `password` on the account of link `secret`: uses the link, ends every session of
    /// the account, forgets its failed logins and, when the link was mailed (which proves the
    /// mailbox), marks its address proven. Audited; the owner is told by mail.
    pub async fn reset_password(
        &self,
        actor: &Actor,
        secret: &str,
        password: &Password,
    ) -> anyhow::Result<ResetDone> {
        // An unusable link costs no hash.
        if self.reset_target(secret).await?.is_none() {
            return Ok(ResetDone::Invalid);
        }
        let hash = self.passwords.hash(password.secret().clone()).await?;
        let (secret_hash, limiter) = (sha256_hex(secret), self.limiter.clone());
        let done = self
            .db
            .run(move |conn| {
                write_transaction(conn, |conn| -> anyhow::Result<Option<(User, usize)>> {
                    let at = now();
                    let Some(link) = password_resets::find_usable(conn, &secret_hash, at)? else {
                        return Ok(None);
                    };
                    let Some(user) = users::find(conn, link.user_id)?.filter(|u| !u.is_disabled())
                    else {
                        return Ok(None);
                    };
                    if !password_resets::consume(conn, link.id, user.id, at)? {
                        return Ok(None);
                    }
                    users::set_password_hash(conn, user.id, &hash)?;
                    if link.mailed {
                        users::mark_verified(conn, user.id)?;
                    }
                    limiter.clear_account(conn, &user.email)?;
                    let ended = sessions::end_for_user(conn, user.id, Ending::All)?;
                    Ok(Some((user, ended)))
                })
            })
            .await?;
        let Some((user, ended)) = done else {
            return Ok(ResetDone::Invalid);
        };
        tracing::info!(user_id = %user.id, ended, "password reset through a link");
        let actor = Actor {
            user_id: Some(user.id),
            ..actor.clone()
        };
        self.audit
            .record(
                &actor,
                AuditEvent::success(AuditAction::PasswordReset).detail(format!(
                    "{} (a reset link; {ended} session(s) ended)",
                    user.email
                )),
            )
            .await;
        self.notify_password_changed(&user).await;
        Ok(ResetDone::Done { user, ended })
    }

    /// A platform admin issues a reset link for account `user` to hand over (the portal sends
    /// no mail, or the owner cannot read it). Audited; the secret is never stored or logged.
    pub async fn issue_reset_link(&self, actor: &Actor, user: UserId) -> anyhow::Result<AdminLink> {
        let secret = random_token(32);
        let secret_hash = sha256_hex(&secret);
        let issued_by = actor.user_id;
        let found = self
            .db
            .run(move |conn| {
                let Some(found) = users::find(conn, user)? else {
                    return Ok(None);
                };
                if !found.is_disabled() {
                    password_resets::issue(
                        conn,
                        found.id,
                        &secret_hash,
                        issued_by,
                        now() + ADMIN_LINK_LIFETIME,
                    )?;
                }
                Ok(Some(found))
            })
            .await?;
        let Some(found) = found else {
            return Ok(AdminLink::NotFound);
        };
        if found.is_disabled() {
            return Ok(AdminLink::Disabled);
        }
        self.audit
            .record(
                actor,
                AuditEvent::success(AuditAction::PasswordResetLinkIssued)
                    .detail(format!("{} (by a platform admin)", found.email)),
            )
            .await;
        Ok(AdminLink::Issued {
            user: found,
            path: format!("/password/reset/{secret}"),
        })
    }

    /// Tells the owner their password changed (a notice about their own account: sent whether
    /// or not the address is proven, as the registration note is).
    pub(super) async fn notify_password_changed(&self, user: &User) {
        let lang = Lang::parse(&user.language).unwrap_or(Lang::Ro);
        let rendered = self.composer.password_changed(lang.catalog());
        self.mail(&user.email, &rendered).await;
    }
}

/// `anaf-portal user set-password`: sets `password` on the account at `email`, ends every
/// session of it and closes its open reset links. Audited as the operator's. `None` when there
/// is no such account; else the account and how many sessions ended.
pub async fn set_password_by_operator(
    db: &Db,
    email: &Email,
    password: &Password,
) -> anyhow::Result<Option<(User, usize)>> {
    let hash = crate::services::accounts::Passwords::default()
        .hash(password.secret().clone())
        .await?;
    let email = email.clone();
    let done = db
        .run(move |conn| {
            write_transaction(conn, |conn| -> anyhow::Result<Option<(User, usize)>> {
                let Some(user) = users::find_by_email(conn, &email)? else {
                    return Ok(None);
                };
                users::set_password_hash(conn, user.id, &hash)?;
                password_resets::close_open(conn, user.id, now())?;
                crate::db::models::login_failures::clear(conn, &format!("account:{}", user.email))?;
                let ended = sessions::end_for_user(conn, user.id, Ending::All)?;
                Ok(Some((user, ended)))
            })
        })
        .await?;
    if let Some((user, ended)) = &done {
        AuditLog::new(db.clone())
            .record(
                &Actor::system(),
                AuditEvent::success(AuditAction::PasswordReset).detail(format!(
                    "{} (by the operator, anaf-portal user set-password; {ended} session(s) ended)",
                    user.email
                )),
            )
            .await;
    }
    Ok(done)
}
