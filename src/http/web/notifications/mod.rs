//! The bell: each person's notifications (the events of their companies), marking them read,
//! and Settings → Email notifications (how and in which language they get email, a test email).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::domain::{EmailPreference, EventKind};
use crate::domain::{NotificationId, UserId};
use crate::http::auth::session::FlashLevel;
use crate::http::auth::{CurrentUser, PortalSession};
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::http::web::page::{Page, html, safe_next, see_other};
use crate::i18n::Lang;
use crate::services::notify::mail::{MailComposer, SendError};

pub const LIST_PATH: &str = "/notifications";
pub const SETTINGS_PATH: &str = "/settings/notifications";
const PAGE_SIZE: i64 = 50;

/// One notification as the list shows it.
pub struct NotificationView {
    pub id: NotificationId,
    pub unread: bool,
    pub kind: &'static str,
    /// `badge-bad` for what only a person can fix, `badge-none` for a deletion, else `badge-ok`.
    pub badge: &'static str,
    pub title: String,
    pub company: String,
    pub cif: String,
    pub what: String,
    pub when: String,
    pub act_by: Option<String>,
    pub link: String,
}

#[derive(Template)]
#[template(path = "notifications/index.html")]
pub struct NotificationsPage {
    pub page: Page,
    pub items: Vec<NotificationView>,
    /// The link to the next (older) page, when there is one.
    pub older: Option<String>,
}

#[derive(Deserialize)]
/// `?before=ID`: the page of notifications older than one.
pub struct CursorQuery {
    #[serde(default)]
    before: Option<String>,
}

pub async fn list(
    user: CurrentUser,
    page: Page,
    state: web::Data<AppState>,
    query: web::Query<CursorQuery>,
) -> Result<HttpResponse, AppError> {
    // A cursor that is not a number is ignored: the first page.
    let before = query
        .before
        .as_deref()
        .and_then(|b| b.parse::<NotificationId>().ok());
    let (rows, more) = state
        .accounts
        .notifications(user.0.id, before, PAGE_SIZE)
        .await?;
    let t = page.t;
    let older = more
        .then(|| rows.last().map(|n| format!("{LIST_PATH}?before={}", n.id)))
        .flatten();
    let items = rows
        .into_iter()
        .map(|n| {
            let event = &n.event;
            NotificationView {
                id: n.id,
                unread: n.read_at.is_none(),
                kind: event.kind.as_str(),
                badge: match event.kind {
                    kind if kind.needs_a_person() => "badge badge-bad",
                    EventKind::Deleted => "badge badge-none",
                    _ => "badge badge-ok",
                },
                title: MailComposer::title(&t, event, event.created_at),
                company: event.company_label().to_owned(),
                cif: event.cif.clone(),
                what: t.get(&format!("event-{}-what", event.kind.slug())),
                when: t.local_date_time(event.created_at),
                act_by: event
                    .act_by
                    .filter(|_| event.kind.needs_a_person())
                    .map(|by| {
                        t.format(
                            "notifications-act_by",
                            &[("by", t.local_date_time(by).into())],
                        )
                    }),
                link: match event.kind {
                    EventKind::WebhookDisabled => {
                        format!("/companies/{}/webhooks", event.company_id)
                    }
                    _ => format!("/companies/{}", event.company_id),
                },
            }
        })
        .collect();
    html(StatusCode::OK, &NotificationsPage { page, items, older })
}

#[derive(Deserialize)]
pub struct ReadForm {
    #[serde(default)]
    next: String,
}

/// Marks one notification read and goes on to `next` (the company it is about, or the list).
/// Another person's notification is not found.
pub async fn mark_read(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<NotificationId>,
    form: web::Form<ReadForm>,
) -> Result<HttpResponse, AppError> {
    let marked = state
        .accounts
        .mark_notification_read(user.0.id, path.into_inner())
        .await?;
    if !marked {
        return Err(AppError::NotFound);
    }
    let next = match form.next.as_str() {
        "" => LIST_PATH,
        next => safe_next(next),
    };
    Ok(see_other(next))
}

pub async fn mark_all_read(
    user: CurrentUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    state
        .accounts
        .mark_all_notifications_read(user.0.id)
        .await?;
    Ok(see_other(LIST_PATH))
}

#[derive(Template)]
#[template(path = "notifications/settings.html")]
pub struct SettingsPage {
    pub page: Page,
    pub email_on: bool,
    pub preference: &'static str,
    pub language: &'static str,
    /// "Daily digest at 07:00 (Romanian time)…".
    pub digest_label: String,
    pub error: Option<String>,
}

async fn render_settings(
    page: Page,
    state: &AppState,
    user_id: UserId,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let settings = state
        .accounts
        .email_settings(user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (preference, language) = settings;
    html(
        status,
        &SettingsPage {
            email_on: state.mailer.is_some(),
            preference: preference.as_str(),
            language: Lang::parse(&language).unwrap_or(Lang::Ro).code(),
            digest_label: page.t.format(
                "settings-notifications-digest",
                &[(
                    "at",
                    format!(
                        "{} ({})",
                        state.config.notifications.digest_at.format("%H:%M"),
                        page.t.get("time-romania")
                    )
                    .into(),
                )],
            ),
            error,
            page,
        },
    )
}

pub async fn settings(
    user: CurrentUser,
    page: Page,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    render_settings(page, &state, user.0.id, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    language: String,
}

pub async fn save_settings(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    form: web::Form<SettingsForm>,
) -> Result<HttpResponse, AppError> {
    let t = Lang::from_request(&req).catalog();
    let choice = (
        form.email.parse::<EmailPreference>(),
        Lang::parse(&form.language),
    );
    let (Ok(preference), Some(language)) = choice else {
        let page = Page::build(&req).await?;
        let error = Some(t.get("settings-notifications-invalid"));
        return render_settings(
            page,
            &state,
            user.0.id,
            error,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    state
        .accounts
        .set_email_settings(user.0.id, preference, language.code())
        .await?;
    PortalSession::of(&req).flash(FlashLevel::Success, t.get("settings-notifications-saved"));
    Ok(see_other(SETTINGS_PATH))
}

/// Sends a test email to the person at once (not through the outbox: they are waiting to see
/// whether email works) and says what happened.
pub async fn send_test(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let t = Lang::from_request(&req).catalog();
    let session = PortalSession::of(&req);
    let Some(mailer) = &state.mailer else {
        session.flash(
            FlashLevel::Error,
            t.get("settings-notifications-test_unavailable"),
        );
        return Ok(see_other(SETTINGS_PATH));
    };
    // An unproven address may be someone else's: nothing is mailed to it but its proof.
    if !user.0.is_verified() {
        session.flash(
            FlashLevel::Error,
            t.get("settings-notifications-test_unverified"),
        );
        return Ok(see_other(SETTINGS_PATH));
    }
    let language = state
        .accounts
        .email_settings(user.0.id)
        .await?
        .and_then(|(_, language)| Lang::parse(&language))
        .unwrap_or(t.lang());
    let mail = state.composer.test(language.catalog());
    match mailer
        .send(&user.0.email, &mail.subject, &mail.text, &mail.html)
        .await
    {
        Ok(()) => session.flash(
            FlashLevel::Success,
            t.format(
                "settings-notifications-test_sent",
                &[("email", user.0.email.clone().into())],
            ),
        ),
        Err(SendError::Permanent(error) | SendError::Transient(error)) => {
            tracing::warn!(error = %error, "a test email was not sent");
            session.flash(
                FlashLevel::Error,
                t.format(
                    "settings-notifications-test_failed",
                    &[("error", error.into())],
                ),
            );
        }
    }
    Ok(see_other(SETTINGS_PATH))
}
