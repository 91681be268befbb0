//! Authorization links (see `crate::links`): the creator's pages (`/links…`) and the holder's
//! (`/l/{secret}…`), which need no account. The holder's pages never show a token, send no
//! Referer and are not cached; the secret never appears in a log line (`telemetry`).

use std::collections::HashSet;

use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use crate::anaf::client::RightsVerdict;
use crate::db::models::companies::Company;
use crate::db::models::links::{CompanyOutcome, Link, LinkCompany, LinkState};
use crate::db::models::now;
use crate::domain::{AuditAction, AuditEvent, Email};
use crate::error::AppError;
use crate::http::auth::session::FlashLevel;
use crate::http::auth::{CurrentUser, PortalSession};
use crate::http::state::AppState;
use crate::http::web::connect::{self, CallbackQuery, Failure};
use crate::http::web::page::{Page, html, see_other};
use crate::http::web::templates::ChoosableCompany;
use crate::http::web::views::{Pagination, anaf_said};
use crate::i18n::{Catalog, Lang};
use crate::secrets::{random_token, sha256_hex};
use crate::services::links::{
    ClaimRefusal, CreateLinkError, DEFAULT_DAYS, GoneState, HolderView, LinkDetail, LinkRequest,
    MAX_ACTIVE_LINKS, MAX_DAYS, MAX_NOTE_CHARS, MIN_DAYS,
};

/// The cookie that ties a Connect ANAF started from a link to the holder's browser.
pub const LINK_COOKIE: &str = "anaf_portal_link";
/// The session key of the last link callback's outcome, shown at `/l/done/{id}`.
const OUTCOME_KEY: &str = "link_outcome";

// ---------------------------------------------------------------------------------------------
// The creator's pages

#[derive(Template)]
#[template(path = "links/new.html")]
pub struct NewLinkPage {
    pub page: Page,
    pub companies: Vec<ChoosableCompany>,
    pub legend: String,
    pub days: String,
    pub note: String,
    pub email: String,
    /// Email can be sent (SMTP is configured).
    pub can_mail: bool,
    pub companies_error: Option<String>,
    pub days_error: Option<String>,
    pub note_error: Option<String>,
    pub email_error: Option<String>,
    /// Refusals of the whole form (too many links waiting).
    pub form_error: Option<String>,
    pub max_days: i64,
    pub max_note: usize,
}

#[derive(Template)]
#[template(path = "links/created.html")]
pub struct CreatedLinkPage {
    pub page: Page,
    pub id: i64,
    pub url: secrecy::SecretString,
    /// The URL as a QR code, inline SVG without style attributes.
    pub qr_svg: String,
    pub expires: String,
    pub mail_note: Option<(bool, String)>,
}

impl CreatedLinkPage {
    pub fn url_value(&self) -> &str {
        self.url.expose_secret()
    }
}

pub struct LinkRow {
    pub id: i64,
    pub state: &'static str,
    pub state_label: String,
    pub created: String,
    pub expires: String,
    /// "Alfa SRL, CIF 14399840 and 3 more".
    pub companies: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "links/index.html")]
pub struct LinksPage {
    pub page: Page,
    pub rows: Vec<LinkRow>,
    pub pagination: Pagination,
    pub active_note: String,
}

pub struct CompanyOutcomeView {
    pub id: Option<i64>,
    pub name: Option<String>,
    pub cif: String,
    /// `covered`, `no_rights`, `unknown` or `waiting`.
    pub outcome: &'static str,
    pub outcome_label: String,
    pub explanation: Option<String>,
}

#[derive(Template)]
#[template(path = "links/show.html")]
pub struct LinkPage {
    pub page: Page,
    pub id: i64,
    pub state: &'static str,
    pub state_label: String,
    pub pending: bool,
    pub facts: Vec<(String, String)>,
    pub note: Option<String>,
    pub companies: Vec<CompanyOutcomeView>,
}

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
    let chosen: Vec<i64> = form
        .companies
        .iter()
        .map(|id| id.trim().parse::<i64>())
        .collect::<Result<_, _>>()
        .map_err(|_| AppError::NotFound)?;
    let companies = state.links.administered_by(user_id).await?;
    let administered: HashSet<i64> = companies.iter().map(|c| c.id).collect();
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
            qr_svg: qr_svg(&url, &t.get("links-qr_label")),
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

/// The URL as an inline SVG QR code: presentation attributes only (the CSP forbids inline
/// styles), no XML prolog.
fn qr_svg(url: &str, label: &str) -> String {
    let Ok(code) = qrcode::QrCode::new(url.as_bytes()) else {
        return String::new();
    };
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build();
    let svg = match svg.find("<svg") {
        Some(at) => &svg[at..],
        None => svg.as_str(),
    };
    let label = escape_html(label);
    svg.replacen(
        "<svg ",
        &format!("<svg class=\"qr\" role=\"img\" aria-label=\"{label}\" "),
        1,
    )
}

/// `text` safe inside HTML text and attribute values.
fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
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

fn state_label(state: LinkState, t: &Catalog) -> String {
    t.get(match state {
        LinkState::Created => "links-state_created",
        LinkState::Opened => "links-state_opened",
        LinkState::Completed => "links-state_completed",
        LinkState::Expired => "links-state_expired",
        LinkState::Revoked => "links-state_revoked",
    })
}

fn company_label(company: &Company) -> String {
    match company.name.as_deref().filter(|n| !n.is_empty()) {
        Some(name) => format!("{name} (CIF {})", company.cif),
        None => format!("CIF {}", company.cif),
    }
}

/// When the link changed last, in a sentence.
fn state_detail(link: &Link, state: LinkState, t: &Catalog) -> String {
    let at = |when: Option<chrono::NaiveDateTime>| {
        when.map(|w| t.local_date_time(w)).unwrap_or_default()
    };
    match state {
        LinkState::Created => String::new(),
        LinkState::Opened => t.format("links-opened_at", &[("at", at(link.opened_at).into())]),
        LinkState::Completed => t.format(
            "links-completed_at",
            &[("at", at(link.completed_at).into())],
        ),
        LinkState::Expired => t.format(
            "links-expired_at",
            &[("at", t.local_date_time(link.expires_at).into())],
        ),
        LinkState::Revoked => t.format("links-revoked_at", &[("at", at(link.revoked_at).into())]),
    }
}

#[derive(Deserialize)]
pub struct ListQuery {
    page: Option<String>,
}

/// `/links`: the person's links, newest first.
pub async fn list(
    user: CurrentUser,
    page: Page,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let number = Pagination::parse_page(query.page.as_deref());
    let per_page = crate::http::web::views::PAGE_SIZE;
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

fn outcome_view(c: &LinkCompany, t: &Catalog) -> CompanyOutcomeView {
    let (outcome, label, explanation) = match c.outcome {
        None => ("waiting", t.get("links-outcome_waiting"), None),
        Some(CompanyOutcome::Covered) => ("covered", t.get("links-outcome_covered"), None),
        Some(CompanyOutcome::NoRights) => (
            "no_rights",
            t.get("links-outcome_no_rights"),
            Some(t.format(
                "links-no_rights_explained",
                &[("cif", c.company.cif.to_string().into())],
            )),
        ),
        Some(CompanyOutcome::Unknown) => (
            "unknown",
            t.get("links-outcome_unknown"),
            Some(t.format(
                "links-unknown_explained",
                &[(
                    "said",
                    anaf_said(c.detail.clone().unwrap_or_default(), t).into(),
                )],
            )),
        ),
    };
    CompanyOutcomeView {
        id: Some(c.company.id),
        name: c.company.name.clone().filter(|n| !n.is_empty()),
        cif: c.company.cif.to_string(),
        outcome,
        outcome_label: label,
        explanation,
    }
}

/// `/links/{id}`: one link, its companies and what the holder's connection found for each;
/// reloads itself every 10 seconds while the link waits.
pub async fn show(
    user: CurrentUser,
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id: i64 = path.parse().map_err(|_| AppError::NotFound)?;
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
    let id: i64 = path.parse().map_err(|_| AppError::NotFound)?;
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

// ---------------------------------------------------------------------------------------------
// The holder's pages

#[derive(Template)]
#[template(path = "links/holder.html")]
pub struct HolderPage {
    pub page: Page,
    pub secret: String,
    pub asks: String,
    pub note: Option<String>,
    pub companies: Vec<CompanyOutcomeView>,
    pub expires: String,
    /// A connection through the link found rights for none of its companies.
    pub retried: bool,
}

#[derive(Template)]
#[template(path = "links/gone.html")]
pub struct GonePage {
    pub page: Page,
    pub title: String,
    pub message: String,
}

/// The holder's pages never send their address (the link) to another site. `same-origin`, not
/// `no-referrer`: without a Referer the browser sends `Origin: null` with the page's own form, which
/// the CSRF check rightly refuses.
fn no_referrer(mut response: HttpResponse) -> HttpResponse {
    response.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// The title and sentence of a link that can no longer be used. A disabled creator's email is
/// left out: the holder cannot ask them for anything, and needs to know no more about them.
fn gone_text(state: GoneState, creator_email: &str, t: &Catalog) -> (String, String) {
    let (title, message) = match state {
        GoneState::Completed => ("links-gone_used_title", "links-gone_used"),
        GoneState::Expired => ("links-gone_expired_title", "links-gone_expired"),
        GoneState::Revoked => ("links-gone_revoked_title", "links-gone_revoked"),
        GoneState::CreatorDisabled => {
            return (
                t.get("links-gone_disabled_title"),
                t.get("links-gone_disabled"),
            );
        }
    };
    (
        t.get(title),
        t.format(message, &[("email", creator_email.to_owned().into())]),
    )
}

fn gone_page(page: Page, state: GoneState, creator_email: &str) -> Result<HttpResponse, AppError> {
    let (title, message) = gone_text(state, creator_email, &page.t);
    Ok(no_referrer(html(
        StatusCode::GONE,
        &GonePage {
            page,
            title,
            message,
        },
    )?))
}

fn gone_of(view: HolderView) -> Option<(GoneState, String)> {
    match view {
        HolderView::Gone {
            state,
            creator_email,
        } => Some((state, creator_email)),
        HolderView::Usable(_) => None,
    }
}

/// `GET /l/{secret}`: who asks, for which companies, what will and will not happen, what to
/// check first, and the Connect ANAF button. No account needed.
pub async fn holder(
    req: HttpRequest,
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let secret = path.into_inner();
    let view = state
        .links
        .open(&state.actor(&req, None), &secret)
        .await?
        .ok_or(AppError::NotFound)?;
    let detail: LinkDetail = match view {
        HolderView::Usable(detail) => detail,
        gone => {
            let (gone, creator) = gone_of(gone).ok_or(AppError::NotFound)?;
            return gone_page(page, gone, &creator);
        }
    };
    let t = &page.t;
    let asks = t.format(
        "links-holder_asks",
        &[
            ("email", detail.creator_email.clone().into()),
            ("count", (detail.companies.len() as i64).into()),
        ],
    );
    let retried = detail.link.attempted_at.is_some();
    let companies = detail
        .companies
        .iter()
        .map(|c| CompanyOutcomeView {
            id: None,
            ..outcome_view(c, t)
        })
        .collect();
    let expires = t.format(
        "links-holder_expires",
        &[("at", t.local_date_time(detail.link.expires_at).into())],
    );
    Ok(no_referrer(html(
        StatusCode::OK,
        &HolderPage {
            secret,
            asks,
            note: detail.link.note,
            companies,
            expires,
            retried,
            page,
        },
    )?))
}

/// `POST /l/{secret}/connect`: starts Connect ANAF for the link, tied to this browser by a
/// random cookie (its hash is stored with the transaction).
pub async fn connect(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let secret = path.into_inner();
    let cookie = req
        .cookie(LINK_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| (32..=128).contains(&v.len()))
        .unwrap_or_else(|| random_token(32));
    let started = state
        .links
        .start(&secret, sha256_hex(&cookie), state.config.anaf.pkce)
        .await?
        .ok_or(AppError::NotFound)?;
    let url = match started {
        Ok(url) => url,
        Err(view) => {
            let (gone, creator) = gone_of(view).ok_or(AppError::NotFound)?;
            let page = Page::build(&req).await?;
            return gone_page(page, gone, &creator);
        }
    };
    let mut response = see_other(url.as_str());
    response
        .add_cookie(
            &Cookie::build(LINK_COOKIE, cookie)
                .path("/")
                .max_age(Duration::days(1))
                .same_site(SameSite::Lax)
                .http_only(true)
                .secure(state.secure_cookies())
                .finish(),
        )
        .map_err(|e| AppError::Internal(anyhow::anyhow!("link cookie: {e}")))?;
    Ok(no_referrer(response))
}

/// What a link's callback ended with, kept in the holder's session for `/l/done/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
enum LinkResult {
    /// ANAF answered: each company's verdict; `stored` when a token was kept (link consumed).
    Connected {
        stored: bool,
        companies: Vec<StoredCompany>,
    },
    Refused(ClaimRefusal),
    Failed(Failure),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredCompany {
    name: Option<String>,
    cif: String,
    /// `covered`, `no_rights` or `unknown`.
    outcome: String,
    said: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredOutcome {
    id: String,
    result: LinkResult,
}

/// ANAF's redirect for a Connect ANAF started from a link (`connect::callback` hands it over
/// before any session check: the holder has no account).
pub async fn callback(
    req: &HttpRequest,
    state: &AppState,
    query: &CallbackQuery,
    oauth_state: &str,
) -> Result<HttpResponse, AppError> {
    let binding = req.cookie(LINK_COOKIE).map(|c| sha256_hex(c.value()));
    let claimed = match state.links.claim(oauth_state, binding).await? {
        Ok(claimed) => claimed,
        Err(refusal) => return outcome_redirect(req, LinkResult::Refused(refusal)),
    };
    let actor = state.actor(req, None);
    let code = match connect::parse_answer(query, &state.tokens.anaf().endpoints().issuer) {
        Ok(code) => code,
        Err(failure) => {
            state.links.release(claimed.link_id).await?;
            state
                .tokens
                .audit()
                .record(
                    &actor,
                    AuditEvent::failure(AuditAction::LinkCompleted).detail(format!(
                        "authorization link {}: {}",
                        claimed.link_id,
                        connect::failure_code(&failure)
                    )),
                )
                .await;
            return outcome_redirect(req, LinkResult::Failed(failure));
        }
    };
    let result = match state.links.complete(&actor, &claimed, code).await? {
        Ok(connection) => LinkResult::Connected {
            stored: connection.token.is_some(),
            companies: connection
                .companies
                .iter()
                .map(|c| {
                    let (outcome, said) = match &c.verdict {
                        RightsVerdict::Granted => ("covered", None),
                        RightsVerdict::Denied(said) => ("no_rights", Some(said.clone())),
                        RightsVerdict::Unknown(said) => ("unknown", Some(said.clone())),
                    };
                    StoredCompany {
                        name: c.company.name.clone().filter(|n| !n.is_empty()),
                        cif: c.company.cif.to_string(),
                        outcome: outcome.to_owned(),
                        said,
                    }
                })
                .collect(),
        },
        Err(error) => LinkResult::Failed(Failure::from(error)),
    };
    outcome_redirect(req, result)
}

/// Ends a link's callback: a 303 away from the URL that carries the code, to its outcome.
fn outcome_redirect(req: &HttpRequest, result: LinkResult) -> Result<HttpResponse, AppError> {
    let stored = StoredOutcome {
        id: random_token(12),
        result,
    };
    PortalSession::of(req).insert(OUTCOME_KEY, &stored)?;
    Ok(no_referrer(see_other(&format!("/l/done/{}", stored.id))))
}

#[derive(Template)]
#[template(path = "links/outcome.html")]
pub struct OutcomePage {
    pub page: Page,
    pub title: String,
    pub message: String,
    pub hints: Vec<String>,
    pub companies: Vec<CompanyOutcomeView>,
}

/// `/l/done/{id}`: what the holder's connection did, for the browser it came back to.
pub async fn outcome(
    req: HttpRequest,
    page: Page,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let stored: StoredOutcome = PortalSession::of(&req)
        .get(OUTCOME_KEY)
        .filter(|s: &StoredOutcome| s.id == *path)
        .ok_or(AppError::NotFound)?;
    let t = &page.t;
    let (status, title, message, hints, companies) = match stored.result {
        LinkResult::Connected { stored, companies } => {
            let covered = companies.iter().filter(|c| c.outcome == "covered").count();
            let views: Vec<CompanyOutcomeView> =
                companies.into_iter().map(|c| stored_view(c, t)).collect();
            let (title, message) = match stored {
                true => (
                    t.get("links-done_title"),
                    t.format(
                        "links-done_message",
                        &[
                            ("covered", (covered as i64).into()),
                            ("count", (views.len() as i64).into()),
                        ],
                    ),
                ),
                false => (
                    t.get("links-done_none_title"),
                    t.get("links-done_none_message"),
                ),
            };
            (StatusCode::OK, title, message, Vec::new(), views)
        }
        LinkResult::Refused(refusal) => {
            let (status, title, message) = refusal_text(&refusal, t);
            (status, title, message, Vec::new(), Vec::new())
        }
        LinkResult::Failed(failure) => {
            let (status, title_key, message, hint_keys) = connect::explain(&failure, t);
            let mut hints: Vec<String> = hint_keys.into_iter().map(|id| t.get(id)).collect();
            hints.push(t.get("links-failed_retry"));
            (status, t.get(title_key), message, hints, Vec::new())
        }
    };
    Ok(no_referrer(html(
        status,
        &OutcomePage {
            title,
            message,
            hints,
            companies,
            page,
        },
    )?))
}

fn stored_view(c: StoredCompany, t: &Catalog) -> CompanyOutcomeView {
    let (outcome, label, explanation) = match c.outcome.as_str() {
        "covered" => ("covered", t.get("links-outcome_covered"), None),
        "no_rights" => (
            "no_rights",
            t.get("links-outcome_no_rights"),
            Some(t.format(
                "links-no_rights_explained",
                &[("cif", c.cif.clone().into())],
            )),
        ),
        _ => (
            "unknown",
            t.get("links-outcome_unknown"),
            Some(t.format(
                "links-unknown_explained",
                &[("said", anaf_said(c.said.unwrap_or_default(), t).into())],
            )),
        ),
    };
    CompanyOutcomeView {
        id: None,
        name: c.name,
        cif: c.cif,
        outcome,
        outcome_label: label,
        explanation,
    }
}

fn refusal_text(refusal: &ClaimRefusal, t: &Catalog) -> (StatusCode, String, String) {
    let failed = || t.get("links-failed_title");
    match refusal {
        ClaimRefusal::StateUnknown => (
            StatusCode::BAD_REQUEST,
            failed(),
            t.get("links-callback_unknown"),
        ),
        ClaimRefusal::StateExpired => (
            StatusCode::BAD_REQUEST,
            failed(),
            t.get("links-callback_expired"),
        ),
        ClaimRefusal::StateReused => (
            StatusCode::BAD_REQUEST,
            failed(),
            t.get("links-callback_reused"),
        ),
        ClaimRefusal::StateForeign => (
            StatusCode::BAD_REQUEST,
            failed(),
            t.get("links-callback_foreign"),
        ),
        ClaimRefusal::LinkBusy => (StatusCode::CONFLICT, failed(), t.get("links-busy")),
        ClaimRefusal::LinkGone {
            state,
            creator_email,
        } => {
            let (title, message) = gone_text(*state, creator_email, t);
            (StatusCode::GONE, title, message)
        }
    }
}
