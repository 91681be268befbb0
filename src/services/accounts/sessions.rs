//! A person's sessions: the list on their sessions page, ending one or all the others, and a
//! platform admin ending all of someone's. Each session goes by its public id, never its key.

use crate::db::models::sessions::{self, Ending};
use crate::db::models::{now, users};
use crate::domain::{Actor, AuditAction, AuditEvent, UserId};
use crate::services::accounts::{AccountService, User};

// The row these calls answer with, for the layers above to name.
pub use crate::db::models::sessions::UserSession;

impl AccountService {
    /// The live sessions of `user`, most recently used first.
    pub async fn sessions_of(&self, user: UserId) -> anyhow::Result<Vec<UserSession>> {
        self.db
            .run(move |conn| Ok(sessions::live_for_user(conn, user, now())?))
            .await
    }

    /// Ends `user`'s session with public id `public_id`; false when they have none by it.
    pub async fn end_session(
        &self,
        actor: &Actor,
        user: &User,
        public_id: &str,
    ) -> anyhow::Result<bool> {
        let (user_id, wanted) = (user.id, public_id.to_owned());
        let ended = self
            .db
            .run(move |conn| Ok(sessions::end_for_user(conn, user_id, Ending::One(&wanted))?))
            .await?;
        if ended == 0 {
            return Ok(false);
        }
        self.audit
            .record(
                actor,
                AuditEvent::success(AuditAction::SessionEnded).detail(user.email.clone()),
            )
            .await;
        Ok(true)
    }

    /// Ends every session of `user` but `keep` (the one asking); how many.
    pub async fn end_other_sessions(
        &self,
        actor: &Actor,
        user: &User,
        keep: &str,
    ) -> anyhow::Result<usize> {
        let (user_id, keep) = (user.id, keep.to_owned());
        let ended = self
            .db
            .run(move |conn| {
                Ok(sessions::end_for_user(
                    conn,
                    user_id,
                    Ending::AllBut(&keep),
                )?)
            })
            .await?;
        if ended > 0 {
            self.audit
                .record(
                    actor,
                    AuditEvent::success(AuditAction::SessionsEnded).detail(format!(
                        "{} ({ended} other session(s) ended by their owner)",
                        user.email
                    )),
                )
                .await;
        }
        Ok(ended)
    }

    /// A platform admin ends every session of account `user`: the account and how many ended,
    /// or `None` when there is no such account.
    pub async fn end_all_sessions(
        &self,
        actor: &Actor,
        user: UserId,
    ) -> anyhow::Result<Option<(User, usize)>> {
        let done = self
            .db
            .run(move |conn| {
                let Some(found) = users::find(conn, user)? else {
                    return Ok(None);
                };
                let ended = sessions::end_for_user(conn, found.id, Ending::All)?;
                Ok(Some((found, ended)))
            })
            .await?;
        if let Some((found, ended)) = &done {
            self.audit
                .record(
                    actor,
                    AuditEvent::success(AuditAction::SessionsEnded).detail(format!(
                        "{} ({ended} session(s) ended by a platform admin)",
                        found.email
                    )),
                )
                .await;
        }
        Ok(done)
    }
}
