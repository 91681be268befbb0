//! The authorization links' pages and how they show a link, its state and its companies.

use askama::Template;
use secrecy::ExposeSecret;

use crate::domain::{CompanyId, LinkId};
use crate::http::web::page::Page;
use crate::http::web::views::{ChoosableCompany, Pagination, anaf_said};
use crate::i18n::Catalog;
use crate::services::companies::Company;
use crate::services::links::{CompanyOutcome, Link, LinkCompany, LinkState};

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
    pub id: LinkId,
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
    pub id: LinkId,
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
    pub id: Option<CompanyId>,
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
    pub id: LinkId,
    pub state: &'static str,
    pub state_label: String,
    pub pending: bool,
    pub facts: Vec<(String, String)>,
    pub note: Option<String>,
    pub companies: Vec<CompanyOutcomeView>,
}

pub fn state_label(state: LinkState, t: &Catalog) -> String {
    t.get(match state {
        LinkState::Created => "links-state_created",
        LinkState::Opened => "links-state_opened",
        LinkState::Completed => "links-state_completed",
        LinkState::Expired => "links-state_expired",
        LinkState::Revoked => "links-state_revoked",
    })
}

pub fn company_label(company: &Company) -> String {
    match company.name.as_deref().filter(|n| !n.is_empty()) {
        Some(name) => format!("{name} (CIF {})", company.cif),
        None => format!("CIF {}", company.cif),
    }
}

/// When the link changed last, in a sentence.
pub fn state_detail(link: &Link, state: LinkState, t: &Catalog) -> String {
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

pub fn outcome_view(c: &LinkCompany, t: &Catalog) -> CompanyOutcomeView {
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
