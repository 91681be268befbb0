//! Authorization links (see `services::links`): the creator's pages (`/links…`, here) and the
//! holder's (`/l/{secret}`, in `holder`), which need no account; Connect ANAF through a link and
//! its outcome are in `web::connect::link`. The holder's pages never show a token, send no
//! Referer and are not cached; the secret never appears in a log line (`telemetry`).

pub mod holder;
pub mod pages;

use std::collections::HashSet;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::ExposeSecret;
use serde::Deserialize;

use crate::domain::{CompanyId, Email, LinkId};
use crate::http::auth::session::FlashLevel;
use crate::http::auth::{CurrentUser, PortalSession};
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::http::web::page::{Page, html, see_other};
use crate::http::web::views::{ChoosableCompany, PAGE_SIZE, PageQuery, Pagination};
use crate::i18n::{Catalog, Lang};
use crate::services::companies::Company;
use crate::services::links::{
    CreateLinkError, DEFAULT_DAYS, LinkRequest, MAX_ACTIVE_LINKS, MAX_DAYS, MAX_NOTE_CHARS,
    MIN_DAYS,
};
use crate::services::now;
use pages::{
    CreatedLinkPage, LinkPage, LinkRow, LinksPage, NewLinkPage, company_label, outcome_view,
    state_detail, state_label,
};

/// The fields of the creation form: repeated `company` fields, so read by hand.
#[derive(Default)]
struct LinkForm {
    companies: Vec<String>,
    days: String,
    note: String,
    email: String,
}

impl LinkForm {
    fn parse(body: &[u8]) -> LinkForm {
        let mut form = LinkForm::default();
        for (key, value) in url::form_urlencoded::parse(body) {
            match key.as_ref() {
                "company" => form.companies.push(value.into_owned()),
                "days" => form.days = value.into_owned(),
                "note" => form.note = value.into_owned(),
                "email" => form.email = value.into_owned(),
                _ => {}
            }
        }
        form
    }
}

#[derive(Default)]
struct FormErrors {
    companies: Option<String>,
    days: Option<String>,
    note: Option<String>,
    email: Option<String>,
    form: Option<String>,
}

#[derive(Deserialize)]
pub struct NewLinkQuery {
    company: Option<String>,
}

/// `/links/new`: choose companies, expiry, a note and maybe an email. `?company=ID` ticks one.
pub async fn new_form(
    user: CurrentUser,
    page: Page,
    state: web::Data<AppState>,
    query: web::Query<NewLinkQuery>,
) -> Result<HttpResponse, AppError> {
    let companies = state.links.administered_by(user.0.id).await?;
    let form = LinkForm {
        companies: query.company.iter().cloned().collect(),
        days: DEFAULT_DAYS.to_string(),
        ..LinkForm::default()
    };
    let can_mail = state.mailer.is_some();
    render_new(
        page,
        companies,
        form,
        FormErrors::default(),
        can_mail,
        StatusCode::OK,
    )
}

fn render_new(
    page: Page,
    companies: Vec<Company>,
    form: LinkForm,
    errors: FormErrors,
    can_mail: bool,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    html(
        status,
        &NewLinkPage {
            legend: page
                .t
                .count("links-companies_legend", "count", companies.len() as i64),
            companies: ChoosableCompany::list(&companies, &form.companies),
            days: form.days,
            note: form.note,
            email: form.email,
            can_mail,
            companies_error: errors.companies,
            days_error: errors.days,
            note_error: errors.note,
            email_error: errors.email,
            form_error: errors.form,
            max_days: MAX_DAYS,
            max_note: MAX_NOTE_CHARS,
            page,
        },
    )
}

/// Creates a link and shows it, once: the URL, a field to copy it from and its QR code.
pub async fn create(
    req: HttpRequest,
    user: CurrentUser,
    page: Page,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = LinkForm::parse(&body);
    let t = page.t;
    let user_id = user.0.id;
    let chosen: Vec<CompanyId> = form
        .companies
        .iter()
        .map(|id| id.trim().parse::<CompanyId>())
        .collect::<Result<_, _>>()
        .map_err(|_| AppError::NotFound)?;
    let companies = state.links.administered_by(user_id).await?;
    let administered: HashSet<CompanyId> = companies.iter().map(|c| c.id).collect();
    // A company that is not theirs refuses the whole form, revealing nothing about it.
    if chosen.iter().any(|id| !administered.contains(id)) {
        return Err(AppError::NotFound);
    }
    let can_mail = state.mailer.is_some();
    let mut errors = FormErrors::default();
    if chosen.is_empty() {
        errors.companies = Some(t.get("links-companies_missing"));
    }
    let days = match form.days.trim().parse::<i64>() {
        Ok(days) if (MIN_DAYS..=MAX_DAYS).contains(&days) => days,
        _ => {
            errors.days = Some(t.count("links-days_invalid", "max", MAX_DAYS));
            DEFAULT_DAYS
        }
    };
    let note = form.note.trim().to_owned();
    if note.chars().count() > MAX_NOTE_CHARS {
        errors.note = Some(t.count("links-note_too_long", "max", MAX_NOTE_CHARS as i64));
    } else if note
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        errors.note = Some(t.get("links-note_control"));
    }
    let email = match (can_mail, form.email.trim()) {
        (false, _) | (true, "") => None,
        (true, raw) => match Email::parse(raw) {
            Ok(email) => Some(email),
            Err(_) => {
                errors.email = Some(t.get("email-invalid"));
                None
            }
        },
    };
    let invalid = errors.companies.is_some()
        || errors.days.is_some()
        || errors.note.is_some()
        || errors.email.is_some();
    if invalid {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return render_new(page, companies, form, errors, can_mail, status);
    }
    let request = LinkRequest {
        company_ids: chosen,
        days,
        note: Some(note).filter(|n| !n.is_empty()),
        sent_to: email.clone(),
    };
    let created = match state
        .links
        .create(&state.actor(&req, Some(user_id)), user_id, request)
        .await
    {
        Ok(created) => created,
        Err(CreateLinkError::NotAdministered) => return Err(AppError::NotFound),
        Err(CreateLinkError::TooManyActive) => {
            errors.form = Some(t.count("links-too_many", "max", MAX_ACTIVE_LINKS));
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return render_new(page, companies, form, errors, can_mail, status);
        }
        Err(CreateLinkError::Storage(e)) => return Err(e.into()),
    };
    let url = holder_url(&state, created.secret.expose_secret());
    // The mail names its sender: only a proven address may be named to a certificate holder.
    let mail_note = match (email, &state.mailer) {
        (Some(to), Some(mailer)) if user.0.is_verified() => {
            Some(mail_link(mailer, t, &user.0.email, &to, &url).await)
        }
        (Some(_), Some(_)) => Some((false, t.get("links-mail_unverified"))),
        _ => None,
    };
    let expires = t.format(
        "links-valid_until",
        &[(
            "at",
            t.local_date_time(now() + chrono::TimeDelta::days(days))
                .into(),
        )],
    );
    html(
        StatusCode::OK,
        &CreatedLinkPage {
            id: created.id,
            qr_svg: crate::http::web::views::qr_svg(&url, &t.get("links-qr_label")),
            url: secrecy::SecretString::from(url),
            expires,
            mail_note,
            page,
        },
    )
}

/// `https://portal/l/<secret>`.
fn holder_url(state: &AppState, secret: &str) -> String {
    format!(
        "{}/l/{secret}",
        state.base_url.as_str().trim_end_matches('/')
    )
}

/// Sends the link to `to` at once, not through the outbox, which would keep the secret at rest.
/// Whether it was sent, and what to tell the creator.
async fn mail_link(
    mailer: &crate::services::notify::mail::Mailer,
    t: Catalog,
    creator: &str,
    to: &Email,
    url: &str,
) -> (bool, String) {
    let mail = crate::services::notify::mail::authorization_link(t, creator, url);
    match mailer
        .send(to.as_str(), &mail.subject, &mail.text, &mail.html)
        .await
    {
        Ok(()) => (
            true,
            t.format(
                "links-mail_sent",
                &[("email", to.as_str().to_owned().into())],
            ),
        ),
        Err(
            crate::services::notify::mail::SendError::Permanent(error)
            | crate::services::notify::mail::SendError::Transient(error),
        ) => {
            tracing::warn!(error = %error, "an authorization link email was not sent");
            (
                false,
                t.format("links-mail_failed", &[("error", error.into())]),
            )
        }
    }
}

/// `/links`: the person's links, newest first.
pub async fn list(
    user: CurrentUser,
    page: Page,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let number = Pagination::parse_page(query.page.as_deref());
    let per_page = PAGE_SIZE;
    let (links, total) = state
        .links
        .list(user.0.id, per_page, Pagination::offset(number, per_page))
        .await?;
    let t = &page.t;
    let at = now();
    let rows = links
        .into_iter()
        .map(|(link, companies)| {
            let link_state = link.state(at);
            let mut names: Vec<String> = companies
                .iter()
                .take(3)
                .map(|c| company_label(&c.company))
                .collect();
            if companies.len() > 3 {
                names.push(t.count("links-more", "count", (companies.len() - 3) as i64));
            }
            LinkRow {
                id: link.id,
                state: link_state.as_str(),
                state_label: state_label(link_state, t),
                created: t.local_date_time(link.created_at),
                expires: t.local_date_time(link.expires_at),
                companies: names.join(", "),
                detail: state_detail(&link, link_state, t),
            }
        })
        .collect();
    let active_note = t.format("links-active_note", &[("max", MAX_ACTIVE_LINKS.into())]);
    html(
        StatusCode::OK,
        &LinksPage {
            rows,
            pagination: Pagination::new(number, total, String::new()),
            active_note,
            page,
        },
    )
}

/// `/links/{id}`: one link, its companies and what the holder's connection found for each;
/// reloads itself every 10 seconds while the link waits.
pub async fn show(
    user: CurrentUser,
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id: LinkId = path.parse().map_err(|_| AppError::NotFound)?;
    let detail = state
        .links
        .detail_for_creator(user.0.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let t = &page.t;
    let link = &detail.link;
    let link_state = link.state(now());
    let mut facts = vec![
        (t.get("links-created"), t.local_date_time(link.created_at)),
        (t.get("links-expires"), t.local_date_time(link.expires_at)),
    ];
    if let Some(opened) = link.opened_at {
        facts.push((t.get("links-opened"), t.local_date_time(opened)));
    }
    if let Some(attempted) = link.attempted_at {
        facts.push((t.get("links-attempted"), t.local_date_time(attempted)));
    }
    if let Some(completed) = link.completed_at {
        facts.push((t.get("links-completed"), t.local_date_time(completed)));
    }
    if let Some(revoked) = link.revoked_at {
        facts.push((t.get("links-revoked"), t.local_date_time(revoked)));
    }
    if let Some(sent_to) = &link.sent_to {
        facts.push((t.get("links-sent_to"), sent_to.clone()));
    }
    let companies = detail
        .companies
        .iter()
        .map(|c| outcome_view(c, t))
        .collect();
    html(
        StatusCode::OK,
        &LinkPage {
            id,
            state: link_state.as_str(),
            state_label: state_label(link_state, t),
            pending: link_state.is_pending(),
            facts,
            note: link.note.clone(),
            companies,
            page,
        },
    )
}

/// The creator revokes a pending link.
pub async fn revoke(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id: LinkId = path.parse().map_err(|_| AppError::NotFound)?;
    let user_id = user.0.id;
    // Another person's link is not there for this one.
    if state.links.detail_for_creator(user_id, id).await?.is_none() {
        return Err(AppError::NotFound);
    }
    let revoked = state
        .links
        .revoke(&state.actor(&req, Some(user_id)), user_id, id)
        .await?;
    let t = Lang::from_request(&req).catalog();
    match revoked {
        true => PortalSession::of(&req).flash(FlashLevel::Success, t.get("links-revoked_done")),
        false => PortalSession::of(&req).flash(FlashLevel::Error, t.get("links-not_pending")),
    }
    Ok(see_other(&format!("/links/{id}")))
}
