//! `mail_outbox`: email waiting to be sent, shared by every instance. A mail is rendered when
//! queued, claimed by one instance at a time (a claim that outlives its holder runs out), and
//! marked sent or retried later; `dedupe_key` keeps a second mail about the same thing out.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use crate::db::dialect::{insert_ignore, load_skip_locked};
use crate::db::models::now;
use crate::db::schema::mail_outbox;
use crate::db::{DbConnection, write_transaction};
use crate::domain::{EventId, MailId, UserId};

/// A rendered mail.
#[derive(Debug, Clone)]
pub struct NewMail {
    pub user_id: Option<UserId>,
    pub recipient: String,
    pub kind: &'static str,
    pub event_id: Option<EventId>,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub dedupe_key: Option<String>,
}

/// Queues a mail; false when one with its key is queued or sent already.
pub fn enqueue(conn: &mut DbConnection, mail: NewMail) -> QueryResult<bool> {
    let at = now();
    let row = diesel::insert_into(mail_outbox::table).values((
        mail_outbox::user_id.eq(mail.user_id),
        mail_outbox::recipient.eq(mail.recipient),
        mail_outbox::kind.eq(mail.kind),
        mail_outbox::event_id.eq(mail.event_id),
        mail_outbox::subject.eq(mail.subject),
        mail_outbox::body_text.eq(mail.body_text),
        mail_outbox::body_html.eq(mail.body_html),
        mail_outbox::dedupe_key.eq(mail.dedupe_key),
        mail_outbox::next_attempt_at.eq(at),
        mail_outbox::created_at.eq(at),
    ));
    let queued = insert_ignore!(conn, row)?;
    Ok(queued == 1)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = mail_outbox)]
pub struct QueuedMail {
    pub id: MailId,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub attempts: i32,
    pub created_at: NaiveDateTime,
}

/// Claims up to `limit` mails that are due, until `until`; no other instance sends them
/// meanwhile.
pub fn claim_due(
    conn: &mut DbConnection,
    at: NaiveDateTime,
    until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<QueuedMail>> {
    write_transaction(conn, |conn| {
        let due = mail_outbox::table
            .filter(mail_outbox::status.eq("pending"))
            .filter(mail_outbox::next_attempt_at.le(at))
            .filter(
                mail_outbox::claimed_until
                    .is_null()
                    .or(mail_outbox::claimed_until.lt(at)),
            )
            .order(mail_outbox::next_attempt_at)
            .limit(limit);
        let mails: Vec<QueuedMail> = load_skip_locked!(conn, due.select(QueuedMail::as_select()))?;
        let ids: Vec<MailId> = mails.iter().map(|m| m.id).collect();
        diesel::update(mail_outbox::table.filter(mail_outbox::id.eq_any(&ids)))
            .set(mail_outbox::claimed_until.eq(Some(until)))
            .execute(conn)?;
        Ok(mails)
    })
}

/// Gives back claimed mails that were not tried (another instance may send them at once).
pub fn release(conn: &mut DbConnection, ids: &[MailId]) -> QueryResult<usize> {
    diesel::update(mail_outbox::table.filter(mail_outbox::id.eq_any(ids)))
        .set(mail_outbox::claimed_until.eq(None::<NaiveDateTime>))
        .execute(conn)
}

pub fn mark_sent(conn: &mut DbConnection, id: MailId) -> QueryResult<usize> {
    diesel::update(mail_outbox::table.find(id))
        .set((
            mail_outbox::status.eq("sent"),
            mail_outbox::sent_at.eq(Some(now())),
            mail_outbox::claimed_until.eq(None::<NaiveDateTime>),
            mail_outbox::attempts.eq(mail_outbox::attempts + 1),
            mail_outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)
}

/// Records a failed attempt: tried again at `next`, or given up (`None`).
pub fn mark_failed(
    conn: &mut DbConnection,
    id: MailId,
    error: &str,
    next: Option<NaiveDateTime>,
) -> QueryResult<usize> {
    diesel::update(mail_outbox::table.find(id))
        .set((
            mail_outbox::status.eq(if next.is_some() { "pending" } else { "failed" }),
            mail_outbox::next_attempt_at.eq(next.unwrap_or_else(now)),
            mail_outbox::claimed_until.eq(None::<NaiveDateTime>),
            mail_outbox::attempts.eq(mail_outbox::attempts + 1),
            mail_outbox::last_error.eq(Some(error)),
        ))
        .execute(conn)
}

/// How many mails wait, and how many were given up on in the last `window` (operations page).
pub fn backlog(conn: &mut DbConnection, window: TimeDelta) -> QueryResult<(i64, i64)> {
    let pending = mail_outbox::table
        .filter(mail_outbox::status.eq("pending"))
        .count()
        .get_result(conn)?;
    let failed = mail_outbox::table
        .filter(mail_outbox::status.eq("failed"))
        .filter(mail_outbox::created_at.ge(now() - window))
        .count()
        .get_result(conn)?;
    Ok((pending, failed))
}
