//! Fanning an event out, once, in one transaction: a notification for each person it concerns
//! (their bell), an email for those who want them at once, a place in the digest of those who
//! want one a day, and a delivery for each webhook endpoint subscribed to it.

use diesel::QueryResult;

use crate::db::models::events::{self, Event, Recipient};
use crate::db::models::mail_outbox::{self, NewMail};
use crate::db::models::{notifications, webhooks};
use crate::db::{DbConnection, write_transaction};
use crate::domain::{EmailPreference, EventKind};
use crate::services::notify::mail::MailComposer;

/// Fans out up to `limit` events that have not been; how many it did. `mail` is `None` when
/// email is off (no SMTP server configured): nothing is queued for it then.
pub fn dispatch_batch(
    conn: &mut DbConnection,
    mail: Option<&MailComposer>,
    limit: i64,
) -> QueryResult<usize> {
    write_transaction(conn, |conn| {
        let batch = events::lock_undispatched(conn, limit)?;
        let mut dispatched = 0;
        for event in &batch {
            if !events::mark_dispatched(conn, event.id)? {
                continue;
            }
            for recipient in events::recipients(conn, event)? {
                let by_mail =
                    mail.filter(|_| event.kind.needs_a_person() && recipient.may_be_mailed());
                let in_digest =
                    by_mail.is_some() && recipient.preference == EmailPreference::Digest;
                notifications::insert(conn, recipient.id, event.id, in_digest)?;
                if let Some(composer) = by_mail
                    && recipient.preference == EmailPreference::Immediate
                {
                    mail_outbox::enqueue(conn, event_mail(composer, &recipient, event))?;
                }
            }
            // Not in the webhook catalogue: they speak to people (see `EventKind::FOR_WEBHOOKS`).
            if !matches!(event.kind, EventKind::WebhookDisabled | EventKind::Detached) {
                webhooks::enqueue_deliveries(conn, event)?;
            }
            dispatched += 1;
        }
        Ok(dispatched)
    })
}

/// The mail about one event; at most one a day per token and person (a token that changes state
/// twice in a day mails once; the bell shows both).
fn event_mail(composer: &MailComposer, recipient: &Recipient, event: &Event) -> NewMail {
    let rendered = composer.event(recipient, event);
    let about = match event.token_id {
        Some(token_id) => format!("token:{token_id}"),
        None => format!("event:{}", event.id),
    };
    NewMail {
        user_id: Some(recipient.id),
        recipient: recipient.email.clone(),
        kind: "event",
        event_id: Some(event.id),
        subject: rendered.subject,
        body_text: rendered.text,
        body_html: rendered.html,
        dedupe_key: Some(format!(
            "mail:{}:{about}:{}",
            recipient.id,
            event.created_at.date()
        )),
    }
}
