//! Email: what each mail says, in its reader's language (`MailComposer`), and sending it over
//! SMTP (`Mailer`, `ANAF_PORTAL_SMTP_URL`). No mail ever holds a token value.

use askama::Template;
use chrono::NaiveDateTime;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncTransport, Message, Tokio1Executor};
use url::Url;

use crate::db::Db;
use crate::db::models::events::{Event, Recipient};
use crate::db::models::mail_outbox::QueuedMail;
use crate::db::models::sandbox_mails;
use crate::domain::{Attention, CompanyId, EventKind, SandboxMailId};
use crate::i18n::{Catalog, Lang};

// The row the sandbox mailbox answers with, for the layers above to name.
pub use crate::db::models::sandbox_mails::SandboxMail;

/// A mail ready to queue.
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Writes the portal's mails; links point at `base_url`.
#[derive(Clone)]
pub struct MailComposer {
    base_url: Url,
}

/// What an event's mail says. Each mail's data is read by its text and its HTML template
/// (`mail/<name>.txt`, `.html`) as `m`, so that the two parts say the same.
struct EventMail<'a> {
    t: Catalog,
    subject: &'a str,
    title: &'a str,
    company: &'a str,
    cif: &'a str,
    what: &'a str,
    detail: Option<&'a str>,
    todo: &'a str,
    act_by: Option<String>,
    link: &'a str,
    settings_link: &'a str,
}

/// A company that needs attention, in a digest.
pub struct AttentionRow {
    pub company: String,
    pub cif: String,
    pub problem: String,
    pub todo: String,
    pub link: String,
}

/// What changed since the last digest.
pub struct ChangeLine {
    pub when: String,
    pub company: String,
    pub cif: String,
    pub title: String,
}

struct DigestMail<'a> {
    t: Catalog,
    subject: &'a str,
    attention: &'a [AttentionRow],
    changes: &'a [ChangeLine],
    settings_link: &'a str,
}

struct TestMail<'a> {
    t: Catalog,
    subject: &'a str,
    settings_link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/event.txt")]
struct EventText<'a> {
    m: &'a EventMail<'a>,
}

#[derive(Template)]
#[template(path = "mail/event.html")]
struct EventHtml<'a> {
    m: &'a EventMail<'a>,
}

#[derive(Template)]
#[template(path = "mail/digest.txt")]
struct DigestText<'a> {
    m: &'a DigestMail<'a>,
}

#[derive(Template)]
#[template(path = "mail/digest.html")]
struct DigestHtml<'a> {
    m: &'a DigestMail<'a>,
}

#[derive(Template)]
#[template(path = "mail/test.txt")]
struct TestText<'a> {
    m: &'a TestMail<'a>,
}

#[derive(Template)]
#[template(path = "mail/test.html")]
struct TestHtml<'a> {
    m: &'a TestMail<'a>,
}

/// An authorization link for its certificate holder, who may have no account here: no footer
/// about notification settings.
struct LinkMail<'a> {
    t: Catalog,
    subject: &'a str,
    intro: String,
    url: &'a str,
}

#[derive(Template)]
#[template(path = "mail/link.txt")]
struct LinkText<'a> {
    m: &'a LinkMail<'a>,
}

#[derive(Template)]
#[template(path = "mail/link.html")]
struct LinkHtml<'a> {
    m: &'a LinkMail<'a>,
}

/// The mail carrying authorization link `url` from `creator` to the certificate holder. It is
/// sent at once, never queued: the outbox would keep the link's secret at rest.
pub fn authorization_link(t: Catalog, creator: &str, url: &str) -> Rendered {
    let subject = format!("{}: {}", t.get("app-name"), t.get("links-mail_subject"));
    let intro = t.format(
        "links-mail_intro",
        &[("creator", creator.to_owned().into())],
    );
    let mail = LinkMail {
        t,
        subject: &subject,
        intro,
        url,
    };
    Rendered {
        text: render(&LinkText { m: &mail }),
        html: render(&LinkHtml { m: &mail }),
        subject: subject.clone(),
    }
}

/// A mail about the reader's account: a few paragraphs and, when there is one, the link to open.
struct AccountMail<'a> {
    t: Catalog,
    subject: &'a str,
    paragraphs: Vec<String>,
    link: Option<String>,
    after: Vec<String>,
}

#[derive(Template)]
#[template(path = "mail/account.txt")]
struct AccountText<'a> {
    m: &'a AccountMail<'a>,
}

#[derive(Template)]
#[template(path = "mail/account.html")]
struct AccountHtml<'a> {
    m: &'a AccountMail<'a>,
}

/// An account mail: the paragraphs of `before`, the link, the paragraphs of `after` (catalog keys).
fn account_mail(
    t: Catalog,
    subject_key: &str,
    before: &[&str],
    link: Option<String>,
    after: &[&str],
) -> Rendered {
    let subject = format!("{}: {}", t.get("app-name"), t.get(subject_key));
    let paragraphs = before.iter().map(|key| t.get(key)).collect();
    let after = after.iter().map(|key| t.get(key)).collect();
    let mail = AccountMail {
        t,
        subject: &subject,
        paragraphs,
        link,
        after,
    };
    Rendered {
        text: render(&AccountText { m: &mail }),
        html: render(&AccountHtml { m: &mail }),
        subject: subject.clone(),
    }
}

/// A company whose token needs a person, as the digest lists it.
pub struct CompanyAttention {
    pub company_id: CompanyId,
    pub company: String,
    pub cif: String,
    pub attention: Attention,
}

fn render(template: &impl Template) -> String {
    // The templates take only strings the composer made: rendering cannot fail on data.
    template
        .render()
        .unwrap_or_else(|e| format!("(this mail could not be written: {e})"))
}

impl MailComposer {
    pub fn new(base_url: Url) -> MailComposer {
        MailComposer { base_url }
    }

    fn link(&self, path: &str) -> String {
        self.base_url
            .join(path)
            .map_or_else(|_| path.to_owned(), |u| u.to_string())
    }

    fn settings_link(&self) -> String {
        self.link("/settings/notifications")
    }

    /// The title of an event, as the bell and mails show it.
    pub fn title(t: &Catalog, event: &Event, now: NaiveDateTime) -> String {
        match (event.kind, event.act_by) {
            (EventKind::Expiring, Some(by)) => t.count(
                "event-expiring-title",
                "days",
                (by - now).num_days().max(0) + 1,
            ),
            (kind, _) => t.get(&format!("event-{}-title", kind.slug())),
        }
    }

    /// The mail about one event, in its recipient's language.
    pub fn event(&self, recipient: &Recipient, event: &Event) -> Rendered {
        let t = Lang::parse(&recipient.language)
            .unwrap_or(Lang::Ro)
            .catalog();
        let title = Self::title(&t, event, event.created_at);
        let company = event.company_label();
        let subject = format!("{}: {title} ({company})", t.get("app-name"));
        let what = t.get(&format!("event-{}-what", event.kind.slug()));
        let todo = t.get(&format!("event-{}-todo", event.kind.slug()));
        let act_by = event.act_by.map(|at| t.local_date_time_zoned(at));
        let link = match event.kind {
            EventKind::WebhookDisabled => {
                self.link(&format!("/companies/{}/webhooks", event.company_id))
            }
            _ => self.link(&format!("/companies/{}", event.company_id)),
        };
        let settings_link = self.settings_link();
        let detail = event
            .detail
            .as_deref()
            .filter(|_| event.kind != EventKind::Expiring);
        let mail = EventMail {
            t,
            subject: &subject,
            title: &title,
            company,
            cif: &event.cif,
            what: &what,
            detail,
            todo: &todo,
            act_by,
            link: &link,
            settings_link: &settings_link,
        };
        Rendered {
            text: render(&EventText { m: &mail }),
            html: render(&EventHtml { m: &mail }),
            subject: subject.clone(),
        }
    }

    /// A person's daily digest: every company of theirs that needs attention now, most urgent
    /// first, and what changed since the last one.
    pub fn digest(
        &self,
        language: &str,
        mut attention: Vec<CompanyAttention>,
        changes: &[Event],
    ) -> Rendered {
        let t = Lang::parse(language).unwrap_or(Lang::Ro).catalog();
        attention.sort_by(|a, b| {
            a.attention
                .cmp(&b.attention)
                .then(a.company.cmp(&b.company))
        });
        let rows: Vec<AttentionRow> = attention
            .into_iter()
            .map(|a| AttentionRow {
                problem: match a.attention {
                    Attention::RefreshFailing { since } => t.format(
                        "attention-refresh_failing",
                        &[("since", t.local_date_time_zoned(since).into())],
                    ),
                    Attention::ReconnectBefore { by } => t.format(
                        "attention-reconnect_before",
                        &[("by", t.local_date_time_zoned(by).into())],
                    ),
                    other => t.get(&format!("attention-{}", other.slug())),
                },
                todo: t.get(&format!("attention-{}-todo", a.attention.slug())),
                link: self.link(&format!("/companies/{}", a.company_id)),
                company: a.company,
                cif: a.cif,
            })
            .collect();
        let changes: Vec<ChangeLine> = changes
            .iter()
            .map(|event| ChangeLine {
                when: t.local_date_time_zoned(event.created_at),
                company: event.company_label().to_owned(),
                cif: event.cif.clone(),
                title: Self::title(&t, event, event.created_at),
            })
            .collect();
        let subject = format!(
            "{}: {}",
            t.get("app-name"),
            t.count("digest-subject", "count", rows.len() as i64)
        );
        let settings_link = self.settings_link();
        let mail = DigestMail {
            t,
            subject: &subject,
            attention: &rows,
            changes: &changes,
            settings_link: &settings_link,
        };
        Rendered {
            text: render(&DigestText { m: &mail }),
            html: render(&DigestHtml { m: &mail }),
            subject: subject.clone(),
        }
    }

    /// The link that proves the reader reads this mailbox (`path`: the portal's verify page).
    pub fn verification(&self, t: Catalog, path: &str) -> Rendered {
        account_mail(
            t,
            "verify-mail_subject",
            &["verify-mail_intro", "verify-mail_open"],
            Some(self.link(path)),
            &["verify-mail_not_you"],
        )
    }

    /// To the owner of an existing account: someone tried to register their address.
    pub fn registration_attempt(&self, t: Catalog) -> Rendered {
        let login = self.link("/login");
        account_mail(
            t,
            "register-attempt_subject",
            &["register-attempt_intro", "register-attempt_todo"],
            Some(login),
            &["register-attempt_not_you"],
        )
    }

    /// A link that sets a new password (`path`: the portal's reset page).
    pub fn password_reset(&self, t: Catalog, path: &str) -> Rendered {
        account_mail(
            t,
            "reset-mail_subject",
            &["reset-mail_intro", "reset-mail_open"],
            Some(self.link(path)),
            &["reset-mail_not_you"],
        )
    }

    /// To the owner: the account's password was changed, and what to do if it was not them.
    pub fn password_changed(&self, t: Catalog) -> Rendered {
        let forgot = self.link("/password/forgot");
        account_mail(
            t,
            "password-changed_subject",
            &["password-changed_intro", "password-changed_sessions"],
            Some(forgot),
            &["password-changed_not_you"],
        )
    }

    /// To the new address: the link that moves the account to it (`path`: the confirm page).
    pub fn email_change(&self, t: Catalog, path: &str) -> Rendered {
        account_mail(
            t,
            "email_change-mail_subject",
            &["email_change-mail_intro", "email_change-mail_open"],
            Some(self.link(path)),
            &["email_change-mail_not_you"],
        )
    }

    /// To the old address: the account has the address `new_email` now.
    pub fn email_changed(&self, t: Catalog, new_email: &str) -> Rendered {
        let subject = format!("{}: {}", t.get("app-name"), t.get("email_changed-subject"));
        let paragraphs = vec![t.format(
            "email_changed-intro",
            &[("email", new_email.to_owned().into())],
        )];
        let after = vec![t.get("email_changed-not_you")];
        let mail = AccountMail {
            t,
            subject: &subject,
            paragraphs,
            link: Some(self.link("/password/forgot")),
            after,
        };
        Rendered {
            text: render(&AccountText { m: &mail }),
            html: render(&AccountHtml { m: &mail }),
            subject: subject.clone(),
        }
    }

    /// To an account whose two-factor changed (`change`: the catalog key saying what changed).
    pub fn two_factor_changed(&self, t: Catalog, change: &str) -> Rendered {
        account_mail(
            t,
            "twofactor-mail_subject",
            &[change],
            Some(self.link("/settings/security")),
            &["twofactor-mail_not_you"],
        )
    }

    /// The test email of the notification settings.
    pub fn test(&self, t: Catalog) -> Rendered {
        let subject = format!("{}: {}", t.get("app-name"), t.get("mail-test_subject"));
        let settings_link = self.settings_link();
        let mail = TestMail {
            t,
            subject: &subject,
            settings_link: &settings_link,
        };
        Rendered {
            text: render(&TestText { m: &mail }),
            html: render(&TestHtml { m: &mail }),
            subject: subject.clone(),
        }
    }
}

/// Sends mail: through the configured SMTP server, or, in sandbox mode without one, into the
/// sandbox mailbox (a page of the portal), so that every flow that mails can be walked anyway.
#[derive(Clone)]
pub struct Mailer {
    transport: Transport,
}

#[derive(Clone)]
enum Transport {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
    Sandbox(Db),
}

/// The sandbox's mailbox: the mails a sandbox portal without SMTP kept instead of sending.
pub struct SandboxMailbox {
    db: Db,
}

impl SandboxMailbox {
    /// A page of mails, newest first, and how many there are.
    pub async fn page(&self, offset: i64, limit: i64) -> anyhow::Result<(Vec<SandboxMail>, i64)> {
        self.db
            .run(move |conn| Ok(sandbox_mails::page(conn, offset, limit)?))
            .await
    }

    /// One mail, if it is there.
    pub async fn find(&self, id: SandboxMailId) -> anyhow::Result<Option<SandboxMail>> {
        self.db
            .run(move |conn| Ok(sandbox_mails::find(conn, id)?))
            .await
    }
}

/// Why a mail was not sent: worth another try later, or not.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("{0}")]
    Transient(String),
    #[error("{0}")]
    Permanent(String),
}

impl Mailer {
    /// `smtps://user:pass@host` (TLS), `smtp://user:pass@host:587?tls=required` (STARTTLS) or
    /// `smtp://host:25` (plain); `from` is a mailbox (`Name <addr>` or `addr`).
    pub fn new(smtp_url: &str, from: &str) -> Result<Mailer, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| format!("not an SMTP URL the portal can use: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(30)))
            .build();
        let from = from
            .parse::<Mailbox>()
            .map_err(|e| format!("not a mail address: {e}"))?;
        Ok(Mailer {
            transport: Transport::Smtp { transport, from },
        })
    }

    /// Sandbox mode without SMTP: mails are kept for the sandbox mailbox page.
    pub fn sandbox(db: Db) -> Mailer {
        Mailer {
            transport: Transport::Sandbox(db),
        }
    }

    /// Whether mail stays in the sandbox mailbox instead of leaving the portal.
    pub fn is_simulated(&self) -> bool {
        matches!(self.transport, Transport::Sandbox(_))
    }

    /// The mails kept instead of sent, when this mailer is the sandbox's.
    pub fn sandbox_mailbox(&self) -> Option<SandboxMailbox> {
        match &self.transport {
            Transport::Sandbox(db) => Some(SandboxMailbox { db: db.clone() }),
            Transport::Smtp { .. } => None,
        }
    }

    /// Sends one mail (text and HTML alternatives).
    pub async fn send(
        &self,
        to: &str,
        subject: &str,
        text: &str,
        html: &str,
    ) -> Result<(), SendError> {
        let to = to
            .parse::<Mailbox>()
            .map_err(|e| SendError::Permanent(format!("recipient: {e}")))?;
        let (transport, from) = match &self.transport {
            Transport::Smtp { transport, from } => (transport, from),
            Transport::Sandbox(db) => {
                let (to, subject, text, html) = (
                    to.email.to_string(),
                    subject.to_owned(),
                    text.to_owned(),
                    html.to_owned(),
                );
                return db
                    .run(move |conn| Ok(sandbox_mails::insert(conn, &to, &subject, &text, &html)?))
                    .await
                    .map(|_| ())
                    .map_err(|e| SendError::Transient(format!("sandbox mailbox: {e}")));
            }
        };
        let message = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(subject)
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(text.to_owned()),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(html.to_owned()),
                    ),
            )
            .map_err(|e| SendError::Permanent(format!("message: {e}")))?;
        match transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
            Err(e) => Err(SendError::Transient(e.to_string())),
        }
    }

    pub async fn send_queued(&self, mail: &QueuedMail) -> Result<(), SendError> {
        self.send(
            &mail.recipient,
            &mail.subject,
            &mail.body_text,
            &mail.body_html,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::MailComposer;
    use crate::i18n::Lang;

    #[test]
    fn an_account_mails_text_keeps_its_paragraphs_apart() {
        let composer = MailComposer::new(url::Url::parse("http://portal.test/").unwrap());
        let mail = composer.verification(Lang::En.catalog(), "/verify-email/abc");
        let paragraphs: Vec<&str> = mail.text.trim_end().split("\n\n").collect();
        assert_eq!(paragraphs.len(), 4, "{}", mail.text);
        assert_eq!(paragraphs[2], "http://portal.test/verify-email/abc");
        assert!(
            mail.html
                .contains("href=\"http://portal.test/verify-email/abc\"")
        );
    }
}
