//! Telling people (and their software) in time: events become notifications, email and webhook
//! deliveries. Every instance that runs the refresh engine also runs the notifier's rounds (the
//! `jobs::notify` job): each round writes the `token.expiring` events that are due, fans out new
//! events (`dispatch`), writes the daily digests whose time has come, sends what the outbox holds
//! and the webhook deliveries that are due. Everything waits in the database, so nothing is lost
//! to a restart, and a claim decides which instance sends what.

pub mod dispatch;
pub mod mail;

use chrono::{NaiveDateTime, NaiveTime, TimeDelta};

use crate::db::models::events::{self, Event};
use crate::db::models::{mail_outbox, notifications, now};
use crate::db::queries;
use crate::db::queries::tokens::MemberToken;
use crate::db::{Db, DbConnection, write_transaction};
use crate::domain::backoff::{Backoff, Waits};
use crate::domain::{Attention, EmailPreference, MailId, NotificationId, UserId};
use crate::services::notify::mail::{CompanyAttention, MailComposer, Mailer, SendError};
use crate::services::webhooks::WebhookSender;

/// Events fanned out per transaction.
const DISPATCH_BATCH: i64 = 100;
/// Mails claimed at a time; a claim runs out after `MAIL_CLAIM`.
const MAIL_BATCH: i64 = 20;
const MAIL_CLAIM: TimeDelta = TimeDelta::minutes(5);
/// A mail not sent within this long is given up (the news is stale; the bell still has it).
const MAIL_GIVE_UP_AFTER: TimeDelta = TimeDelta::days(3);

/// Email, when an SMTP server is configured.
#[derive(Clone)]
pub struct Email {
    pub mailer: Mailer,
    /// When the daily digest goes out, Romanian time.
    pub digest_at: NaiveTime,
}

pub struct Notifier {
    db: Db,
    composer: MailComposer,
    email: Option<Email>,
    webhooks: WebhookSender,
}

impl Notifier {
    pub fn new(
        db: Db,
        composer: MailComposer,
        email: Option<Email>,
        webhooks: WebhookSender,
    ) -> Notifier {
        Notifier {
            db,
            composer,
            email,
            webhooks,
        }
    }

    /// One round: due `token.expiring` events, fan-out, digests, the outbox, webhooks.
    pub async fn work_once(&self) -> anyhow::Result<()> {
        let at = now();
        self.db
            .run(move |conn| Ok(events::record_expiring(conn, at)?))
            .await?;
        loop {
            let composer = self.email.as_ref().map(|_| self.composer.clone());
            let dispatched = self
                .db
                .run(move |conn| {
                    Ok(dispatch::dispatch_batch(
                        conn,
                        composer.as_ref(),
                        DISPATCH_BATCH,
                    )?)
                })
                .await?;
            if dispatched == 0 {
                break;
            }
        }
        if let Some(email) = &self.email {
            self.write_digests(email).await?;
            self.send_outbox(&email.mailer).await?;
        }
        self.webhooks.send_due().await?;
        Ok(())
    }

    async fn write_digests(&self, email: &Email) -> anyhow::Result<()> {
        let Some(slot) = latest_digest_slot(now(), email.digest_at) else {
            return Ok(());
        };
        let users = self
            .db
            .run(|conn| Ok(notifications::users_with_digest_pending(conn)?))
            .await?;
        for user_id in users {
            let composer = self.composer.clone();
            self.db
                .run(move |conn| Ok(write_digest(conn, &composer, user_id, slot)?))
                .await?;
        }
        Ok(())
    }

    async fn send_outbox(&self, mailer: &Mailer) -> anyhow::Result<()> {
        loop {
            let at = now();
            let claimed = self
                .db
                .run(move |conn| {
                    Ok(mail_outbox::claim_due(
                        conn,
                        at,
                        at + MAIL_CLAIM,
                        MAIL_BATCH,
                    )?)
                })
                .await?;
            if claimed.is_empty() {
                return Ok(());
            }
            let mut untried: Vec<MailId> = claimed.iter().map(|m| m.id).collect();
            for mail in claimed {
                let id = mail.id;
                untried.retain(|other| *other != id);
                let sent = mailer.send_queued(&mail).await;
                let (error, next) = match &sent {
                    Ok(()) => {
                        self.db
                            .run(move |conn| Ok(mail_outbox::mark_sent(conn, id)?))
                            .await?;
                        continue;
                    }
                    Err(SendError::Permanent(error)) => (error.clone(), None),
                    Err(SendError::Transient(error)) => (
                        error.clone(),
                        mail_retry_at(now(), mail.created_at, mail.attempts),
                    ),
                };
                tracing::warn!(mail = id.get(), error = %error, retry = next.is_some(), "a mail was not sent");
                self.db
                    .run(move |conn| Ok(mail_outbox::mark_failed(conn, id, &error, next)?))
                    .await?;
                if next.is_some() {
                    // The server is unwell: the rest waits for the next round, unclaimed.
                    self.db
                        .run(move |conn| Ok(mail_outbox::release(conn, &untried)?))
                        .await?;
                    return Ok(());
                }
            }
        }
    }
}

/// When a mail that failed `attempts` times before is tried again: 1, 2, 4… minutes, at most
/// 6 hours apart; `None` once it is older than `MAIL_GIVE_UP_AFTER`.
fn mail_retry_at(
    at: NaiveDateTime,
    created_at: NaiveDateTime,
    attempts: i32,
) -> Option<NaiveDateTime> {
    Backoff {
        waits: Waits::Doubling {
            first: TimeDelta::minutes(1),
            max: TimeDelta::hours(6),
        },
        give_up_after: Some(MAIL_GIVE_UP_AFTER),
    }
    .next(u32::try_from(attempts).unwrap_or(0) + 1, created_at, at)
}

/// The last moment (UTC) at or before `at` when digests were due: `digest_at` Romanian time.
pub fn latest_digest_slot(at: NaiveDateTime, digest_at: NaiveTime) -> Option<NaiveDateTime> {
    use chrono::TimeZone;
    let zone = chrono_tz::Europe::Bucharest;
    let local_today = at.and_utc().with_timezone(&zone).date_naive();
    [local_today, local_today.pred_opt()?]
        .into_iter()
        .filter_map(|day| {
            zone.from_local_datetime(&day.and_time(digest_at))
                .earliest()
        })
        .map(|slot| slot.naive_utc())
        .find(|slot| *slot <= at)
}

/// Writes `user_id`'s digest for the slot at `slot` when events waited for it from before then;
/// one per person and slot. A person who no longer wants a digest has their queue cleared.
fn write_digest(
    conn: &mut DbConnection,
    composer: &MailComposer,
    user_id: UserId,
    slot: NaiveDateTime,
) -> diesel::QueryResult<bool> {
    write_transaction(conn, |conn| {
        let pending = notifications::digest_pending(conn, user_id)?;
        if !pending.iter().any(|(_, event)| event.created_at < slot) {
            return Ok(false);
        }
        let ids: Vec<NotificationId> = pending.iter().map(|(id, _)| *id).collect();
        let recipient = events::recipient(conn, user_id)?;
        let Some(recipient) =
            recipient.filter(|r| r.preference == EmailPreference::Digest && r.may_be_mailed())
        else {
            notifications::clear_digest(conn, &ids)?;
            return Ok(false);
        };
        let at = now();
        let attention = queries::tokens::attention_candidates_for_member(conn, user_id, at)?
            .into_iter()
            .filter_map(|MemberToken { token, company, .. }| {
                let attention = Attention::of(&token.facts, &token.schedule, at)?;
                Some(CompanyAttention {
                    company_id: company.id,
                    company: company.display_name().to_owned(),
                    cif: company.cif.to_string(),
                    attention,
                })
            })
            .collect();
        let changes: Vec<Event> = pending.into_iter().map(|(_, event)| event).collect();
        let rendered = composer.digest(&recipient.language, attention, &changes);
        mail_outbox::enqueue(
            conn,
            mail_outbox::NewMail {
                user_id: Some(user_id),
                recipient: recipient.email,
                kind: "digest",
                event_id: None,
                subject: rendered.subject,
                body_text: rendered.text,
                body_html: rendered.html,
                dedupe_key: Some(format!("digest:{user_id}:{}", slot.and_utc().timestamp())),
            },
        )?;
        notifications::clear_digest(conn, &ids)?;
        Ok(true)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").expect("valid")
    }

    #[test]
    fn the_digest_slot_is_the_last_digest_time_in_romania() {
        let seven = NaiveTime::from_hms_opt(7, 0, 0).expect("valid");
        // Winter: Bucharest is UTC+2, 07:00 there is 05:00 UTC.
        assert_eq!(
            latest_digest_slot(utc("2026-12-01 06:00"), seven),
            Some(utc("2026-12-01 05:00"))
        );
        assert_eq!(
            latest_digest_slot(utc("2026-12-01 04:59"), seven),
            Some(utc("2026-11-30 05:00"))
        );
        // Summer: UTC+3.
        assert_eq!(
            latest_digest_slot(utc("2026-07-01 04:30"), seven),
            Some(utc("2026-07-01 04:00"))
        );
    }

    /// The messages named from a kind or a cause (`event-<slug>-title`…) exist in both
    /// languages (the scan of literal keys cannot see them).
    #[test]
    fn every_event_and_attention_has_its_messages() {
        use crate::domain::EventKind;
        use crate::i18n::Lang;
        let kinds = EventKind::FOR_WEBHOOKS
            .into_iter()
            .chain([EventKind::WebhookDisabled]);
        let mut ids: Vec<String> = kinds
            .flat_map(|k| {
                ["title", "what", "todo"].map(|part| format!("event-{}-{part}", k.slug()))
            })
            .collect();
        let at = utc("2026-12-01 05:00");
        for attention in [
            Attention::ReconnectNeeded,
            Attention::NoRights,
            Attention::RefreshFailing { since: at },
            Attention::Expired,
            Attention::ReconnectBefore { by: at },
        ] {
            ids.push(format!("attention-{}", attention.slug()));
            ids.push(format!("attention-{}-todo", attention.slug()));
        }
        for lang in [Lang::Ro, Lang::En] {
            let t = lang.catalog();
            for id in &ids {
                let text = t.format(
                    id,
                    &[
                        ("days", 3.into()),
                        ("since", "x".into()),
                        ("by", "y".into()),
                    ],
                );
                assert!(!text.contains("missing text"), "{id} in {lang:?}");
            }
        }
    }

    #[test]
    fn mail_retries_back_off_and_stop_after_three_days() {
        let created = utc("2026-12-01 05:00");
        assert_eq!(
            mail_retry_at(created, created, 0),
            Some(created + TimeDelta::minutes(1))
        );
        assert_eq!(
            mail_retry_at(created, created, 20),
            Some(created + TimeDelta::hours(6))
        );
        let late = created + TimeDelta::days(3);
        assert_eq!(mail_retry_at(late, created, 20), None);
    }
}
