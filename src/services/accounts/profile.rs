//! What the pages ask about the person signed in: their account row, the check at login, their
//! email settings and their notifications.

use std::time::Duration;

use crate::db::models::{notifications, users};
use crate::domain::{Email, EmailPreference, NotificationId, UserId};
use crate::services::accounts::AccountService;
use crate::services::accounts::login_limiter::Subjects;

// The rows these calls answer with, for the layers above to name.
pub use crate::db::models::notifications::Notification;
pub use crate::db::models::users::User;

/// What a login attempt finds before the password is checked.
pub struct LoginLookup {
    /// How long the attempt's subjects are still locked out, if they are.
    pub locked_for: Option<Duration>,
    /// The account and its password hash, looked up only when nothing is locked.
    pub credentials: Option<(User, String)>,
}

impl AccountService {
    /// The account with this id, if there is one.
    pub async fn find_user(&self, id: UserId) -> anyhow::Result<Option<User>> {
        self.db.run(move |conn| Ok(users::find(conn, id)?)).await
    }

    /// Whether `subjects` are locked out and, when they are not and an address was given, the
    /// account at `email` with its password hash: one trip to the database.
    pub async fn login_lookup(
        &self,
        subjects: Subjects,
        email: Option<Email>,
    ) -> anyhow::Result<LoginLookup> {
        let limiter = self.limiter.clone();
        self.db
            .run(move |conn| {
                let locked_for = limiter.locked_for(conn, &subjects)?;
                let credentials = match (&locked_for, &email) {
                    (None, Some(email)) => users::find_credentials(conn, email)?,
                    _ => None,
                };
                Ok(LoginLookup {
                    locked_for,
                    credentials,
                })
            })
            .await
    }

    /// The person's email preference and language code.
    pub async fn email_settings(
        &self,
        id: UserId,
    ) -> anyhow::Result<Option<(EmailPreference, String)>> {
        self.db
            .run(move |conn| Ok(users::email_settings(conn, id)?))
            .await
    }

    pub async fn set_email_settings(
        &self,
        id: UserId,
        preference: EmailPreference,
        language: &'static str,
    ) -> anyhow::Result<()> {
        self.db
            .run(move |conn| {
                users::set_email_settings(conn, id, preference, language)?;
                Ok(())
            })
            .await
    }

    /// A page of the person's notifications, newest first, before `before`; and whether there
    /// are older ones.
    pub async fn notifications(
        &self,
        id: UserId,
        before: Option<NotificationId>,
        limit: i64,
    ) -> anyhow::Result<(Vec<Notification>, bool)> {
        self.db
            .run(move |conn| Ok(notifications::page_for_user(conn, id, before, limit)?))
            .await
    }

    pub async fn unread_notifications(&self, id: UserId) -> anyhow::Result<i64> {
        self.db
            .run(move |conn| Ok(notifications::unread_count(conn, id)?))
            .await
    }

    /// Marks one of the person's notifications read; false when it is not theirs (or not
    /// there). One already read counts as marked.
    pub async fn mark_notification_read(
        &self,
        id: UserId,
        notification: NotificationId,
    ) -> anyhow::Result<bool> {
        self.db
            .run(move |conn| {
                Ok(match notifications::mark_read(conn, id, notification)? {
                    0 => notifications::is_theirs(conn, id, notification)?,
                    _ => true,
                })
            })
            .await
    }

    pub async fn mark_all_notifications_read(&self, id: UserId) -> anyhow::Result<()> {
        self.db
            .run(move |conn| {
                notifications::mark_all_read(conn, id)?;
                Ok(())
            })
            .await
    }
}
