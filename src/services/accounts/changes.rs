//! What the owner changes on their account settings page: the password and the address (each
//! only with the current password, counted against the login limits so that a borrowed session
//! cannot guess it), and the language of their pages and mail.

use chrono::TimeDelta;
use secrecy::SecretString;

use crate::db::models::sessions::Ending;
use crate::db::models::{email_changes, now, password_resets, sessions, users};
use crate::db::write_transaction;
use crate::domain::{Actor, AuditAction, AuditEvent, Email, Password};
use crate::i18n::Lang;
use crate::secrets::{random_token, sha256_hex};
use crate::services::accounts::login_limiter::Subjects;
use crate::services::accounts::{AccountService, User};

/// How long the link that proves a new address works.
pub const EMAIL_CHANGE_LIFETIME: TimeDelta = TimeDelta::hours(24);
/// At most this many address changes are asked for within `EMAIL_CHANGE_WINDOW`.
pub const EMAIL_CHANGES_PER_WINDOW: i64 = 3;
pub const EMAIL_CHANGE_WINDOW: TimeDelta = TimeDelta::hours(1);

/// The current password, checked.
enum Reauth {
    Given,
    Wrong,
    Locked { wait: std::time::Duration },
}

/// What a password change did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordChange {
    /// Changed; `ended` other sessions were ended.
    Changed {
        ended: usize,
    },
    WrongCurrent,
    Locked {
        wait: std::time::Duration,
    },
}

/// What asking for an address change did, as its asker may learn it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailChangeAsked {
    /// A link is on its way to the new address (or, when another account has it, nothing is:
    /// the same answer, as registration gives).
    Sent,
    /// The new address is the account's own.
    Same,
    WrongCurrent,
    Locked {
        wait: std::time::Duration,
    },
    /// `EMAIL_CHANGES_PER_WINDOW` within the window already.
    TooMany,
    /// The portal sends no email.
    NoEmail,
}

/// What opening an address change link did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailChangeDone {
    Changed {
        old: String,
        new: String,
    },
    /// Unknown, used, expired, or another account's link.
    Invalid,
    /// Another account took the address meanwhile.
    Taken,
}

impl AccountService {
    /// Checks `current` against the account's password before the change `action`; a wrong one
    /// counts as a failed login and is audited as a refused `action`.
    async fn reauthenticate(
        &self,
        actor: &Actor,
        user: &User,
        current: SecretString,
        client_ip: &str,
        action: AuditAction,
    ) -> anyhow::Result<Reauth> {
        let subjects = Subjects::new(client_ip, &user.email, None);
        let (limiter, check, user_id) = (self.limiter.clone(), subjects.clone(), user.id);
        let (locked, hash) = self
            .db
            .run(move |conn| {
                let locked = limiter.locked_for(conn, &check)?;
                let hash = match locked {
                    None => users::password_hash(conn, user_id)?,
                    Some(_) => None,
                };
                Ok((locked, hash))
            })
            .await?;
        if let Some(wait) = locked {
            return Ok(Reauth::Locked { wait });
        }
        if self.passwords.verify(current, hash).await? {
            return Ok(Reauth::Given);
        }
        let limiter = self.limiter.clone();
        self.db
            .run(move |conn| Ok(limiter.record_failure(conn, &subjects)?))
            .await?;
        self.audit
            .record(
                actor,
                AuditEvent::failure(action)
                    .detail(format!("{} (wrong current password)", user.email)),
            )
            .await;
        Ok(Reauth::Wrong)
    }

    /// Gives `user` the password `new` when `current` is theirs; ends every other session of
    /// the account (`keep`: the public id of the session that asked). Audited, and the owner is
    /// told by mail.
    pub async fn change_password(
        &self,
        actor: &Actor,
        user: &User,
        current: SecretString,
        new: &Password,
        keep: Option<String>,
        client_ip: &str,
    ) -> anyhow::Result<PasswordChange> {
        match self
            .reauthenticate(
                actor,
                user,
                current,
                client_ip,
                AuditAction::PasswordChanged,
            )
            .await?
        {
            Reauth::Given => {}
            Reauth::Wrong => return Ok(PasswordChange::WrongCurrent),
            Reauth::Locked { wait } => return Ok(PasswordChange::Locked { wait }),
        }
        let hash = self.passwords.hash(new.secret().clone()).await?;
        let user_id = user.id;
        let ended = self
            .db
            .run(move |conn| {
                write_transaction(conn, |conn| -> anyhow::Result<usize> {
                    users::set_password_hash(conn, user_id, &hash)?;
                    password_resets::close_open(conn, user_id, now())?;
                    let ending = match &keep {
                        Some(keep) => Ending::AllBut(keep),
                        None => Ending::All,
                    };
                    Ok(sessions::end_for_user(conn, user_id, ending)?)
                })
            })
            .await?;
        tracing::info!(%user_id, ended, "password changed");
        self.audit
            .record(
                actor,
                AuditEvent::success(AuditAction::PasswordChanged)
                    .detail(format!("{} ({ended} other session(s) ended)", user.email)),
            )
            .await;
        self.notify_password_changed(user).await;
        Ok(PasswordChange::Changed { ended })
    }

    /// Mails a link to `new_email` that moves `user`'s account there, when `current` is their
    /// password. An address another account has gets no link but the same answer.
    pub async fn request_email_change(
        &self,
        actor: &Actor,
        user: &User,
        current: SecretString,
        new_email: &Email,
        client_ip: &str,
    ) -> anyhow::Result<EmailChangeAsked> {
        if new_email.as_str() == user.email {
            return Ok(EmailChangeAsked::Same);
        }
        if self.mailer.is_none() {
            return Ok(EmailChangeAsked::NoEmail);
        }
        match self
            .reauthenticate(
                actor,
                user,
                current,
                client_ip,
                AuditAction::EmailChangeRequested,
            )
            .await?
        {
            Reauth::Given => {}
            Reauth::Wrong => return Ok(EmailChangeAsked::WrongCurrent),
            Reauth::Locked { wait } => return Ok(EmailChangeAsked::Locked { wait }),
        }
        let secret = random_token(32);
        let secret_hash = sha256_hex(&secret);
        let (user_id, address) = (user.id, new_email.as_str().to_owned());
        let issued = self
            .db
            .run(move |conn| {
                let at = now();
                if email_changes::issued_since(conn, user_id, at - EMAIL_CHANGE_WINDOW)?
                    >= EMAIL_CHANGES_PER_WINDOW
                {
                    return Ok(None);
                }
                let taken = users::email_taken(conn, &address, user_id)?;
                if !taken {
                    email_changes::issue(
                        conn,
                        user_id,
                        &address,
                        &secret_hash,
                        at + EMAIL_CHANGE_LIFETIME,
                    )?;
                }
                Ok(Some(taken))
            })
            .await?;
        let Some(taken) = issued else {
            return Ok(EmailChangeAsked::TooMany);
        };
        let detail = format!("{} → {}", user.email, new_email.as_str());
        if taken {
            tracing::info!(%user_id, "address change to an address another account has");
            self.audit
                .record(
                    actor,
                    AuditEvent::failure(AuditAction::EmailChangeRequested)
                        .detail(format!("{detail} (another account has it: no link)")),
                )
                .await;
            return Ok(EmailChangeAsked::Sent);
        }
        self.audit
            .record(
                actor,
                AuditEvent::success(AuditAction::EmailChangeRequested).detail(detail),
            )
            .await;
        // In the background, as for a taken address nothing is sent: the time tells nothing.
        let this = self.clone();
        let lang = Lang::parse(&user.language).unwrap_or(Lang::Ro);
        let to = new_email.as_str().to_owned();
        tokio::spawn(async move {
            let rendered = this
                .composer
                .email_change(lang.catalog(), &format!("/settings/account/email/{secret}"));
            this.mail(&to, &rendered).await;
        });
        Ok(EmailChangeAsked::Sent)
    }

    /// `user` opened address change link `secret`: the account moves to the new address, proven
    /// now, and the old address is told.
    pub async fn confirm_email_change(
        &self,
        actor: &Actor,
        user: &User,
        secret: &str,
    ) -> anyhow::Result<EmailChangeDone> {
        let (user_id, secret_hash) = (user.id, sha256_hex(secret));
        let outcome = self
            .db
            .run(move |conn| {
                write_transaction(conn, |conn| -> anyhow::Result<Result<String, bool>> {
                    let Some(new) = email_changes::consume(conn, user_id, &secret_hash, now())?
                    else {
                        return Ok(Err(false));
                    };
                    match users::change_email(conn, user_id, &new) {
                        Ok(_) => Ok(Ok(new)),
                        Err(users::CreateUserError::EmailTaken) => Ok(Err(true)),
                        Err(users::CreateUserError::Database(e)) => Err(e.into()),
                    }
                })
            })
            .await?;
        let new = match outcome {
            Ok(new) => new,
            Err(taken) => {
                return Ok(match taken {
                    true => EmailChangeDone::Taken,
                    false => EmailChangeDone::Invalid,
                });
            }
        };
        tracing::info!(%user_id, "address changed");
        self.audit
            .record(
                actor,
                AuditEvent::success(AuditAction::EmailChanged)
                    .detail(format!("{} → {new}", user.email)),
            )
            .await;
        let lang = Lang::parse(&user.language).unwrap_or(Lang::Ro);
        let rendered = self.composer.email_changed(lang.catalog(), &new);
        self.mail(&user.email, &rendered).await;
        Ok(EmailChangeDone::Changed {
            old: user.email.clone(),
            new,
        })
    }

    /// Saves `lang` as the language of `user`'s mail and of their pages after a login.
    pub async fn set_language(&self, actor: &Actor, user: &User, lang: Lang) -> anyhow::Result<()> {
        if user.language == lang.code() {
            return Ok(());
        }
        let user_id = user.id;
        self.db
            .run(move |conn| Ok(users::set_language(conn, user_id, lang.code())?))
            .await?;
        self.audit
            .record(
                actor,
                AuditEvent::success(AuditAction::LanguageChanged).detail(format!(
                    "{}: {} → {}",
                    user.email,
                    user.language,
                    lang.code()
                )),
            )
            .await;
        Ok(())
    }
}
