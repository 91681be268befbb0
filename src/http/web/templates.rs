//! The askama templates, one struct per page; `templates/` mirrors the handler areas.

use askama::Template;

use crate::db::models::companies::Company;

use crate::http::web::company_list::{ListControls, StatusCount};
use crate::http::web::dashboard::{AttentionRowView, BulkLineView};
use crate::http::web::diagnosis::DiagnosisView;
use crate::http::web::page::Page;
use crate::http::web::views::{Pagination, TokenRowView, short_serial};
use crate::i18n::Catalog;
use secrecy::{ExposeSecret, SecretString};

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub t: Catalog,
    pub status: u16,
    pub title: String,
    pub message: String,
    pub request_id: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "auth/login.html")]
pub struct LoginPage {
    pub page: Page,
    pub email: String,
    pub next: String,
    pub error: Option<String>,
    pub notice: Option<String>,
    pub registration_open: bool,
}

#[derive(Template)]
#[template(path = "auth/register.html")]
pub struct RegisterPage {
    pub page: Page,
    pub open: bool,
    pub email: String,
    pub email_error: Option<String>,
    pub password_error: Option<String>,
    pub confirm_error: Option<String>,
}

#[derive(Template)]
#[template(path = "dashboard/index.html")]
pub struct DashboardPage<'a> {
    pub page: Page,
    pub counts: Vec<StatusCount>,
    /// The "all" counter's link (the search kept).
    pub all_href: String,
    pub rows: Vec<TokenRowView<'a>>,
    pub pagination: Pagination,
    pub search: String,
    pub status: &'static str,
    pub controls: ListControls,
    /// The bulk form, refilled with its per-line verdicts.
    pub bulk: String,
    pub bulk_results: Vec<BulkLineView>,
    /// "27 added · 3 rejected" after a paste.
    pub bulk_summary: Option<String>,
    /// The add-company form, refilled after an error.
    pub cif: String,
    pub name: String,
    pub cif_error: Option<String>,
    /// Invitations to join companies, waiting for this person's answer.
    pub invitations: Vec<ReceivedInvitationView>,
    /// "Accept all 12 invitations", when there are several.
    pub accept_all: Option<String>,
    /// The companies that need this person, most urgent first, under "3 companies need you".
    pub attention: Vec<AttentionRowView>,
    pub attention_title: String,
    /// "And 12 more:", when more need them than are shown.
    pub attention_more: Option<String>,
}

pub struct HistoryView {
    pub at: String,
    pub action: String,
    pub success: bool,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "companies/show.html")]
pub struct CompanyPage<'a> {
    pub page: Page,
    pub company_name: String,
    /// The stored name, empty when none (the name form's value).
    pub typed_name: String,
    /// From ANAF's registry.
    pub address: Option<String>,
    /// Where the registry lookup stands, while the company has no name.
    pub lookup_note: Option<String>,
    pub row: TokenRowView<'a>,
    pub diagnosis: DiagnosisView,
    pub history: Vec<HistoryView>,
    /// The user's other companies the same token serves.
    pub also_served: Vec<CompanyLinkView>,
    /// Tokens whose certificate was seen to have rights for this company.
    pub offers: Vec<OfferView>,
}

/// A company named in a list: its page, name and CIF.
pub struct CompanyLinkView {
    pub id: i64,
    pub label: String,
    pub cif: String,
}

/// A token offered to a company: whose certificate, and when its rights were seen.
pub struct OfferView {
    pub token_id: i64,
    /// Set when attaching would give the token to people who cannot use it today: who, and
    /// what to do instead.
    pub would_widen: Option<String>,
    pub certificate: CertificateView,
    pub checked: String,
}

/// A certificate as the pages name it: its holder, its serial and the serial's short form.
pub struct CertificateView {
    pub holder: String,
    pub serial: String,
    pub serial_short: String,
}

impl CertificateView {
    pub fn new(holder: Option<&str>, serial: Option<&str>, t: &Catalog) -> CertificateView {
        CertificateView {
            holder: holder.map_or_else(|| t.get("sharing-holder_unknown"), str::to_owned),
            serial: serial.unwrap_or_default().to_owned(),
            serial_short: serial.map(short_serial).unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "connect/failed.html")]
pub struct ConnectFailedPage {
    pub page: Page,
    pub title: String,
    pub message: String,
    pub hints: Vec<String>,
    pub retry_company_id: Option<i64>,
    pub company_name: Option<String>,
}

#[derive(Template)]
#[template(path = "tokens/index.html")]
pub struct TokensPage<'a> {
    pub page: Page,
    pub rows: Vec<TokenRowView<'a>>,
    pub pagination: Pagination,
    pub search: String,
    /// The filters applied, for the CSV export link.
    pub export_query: String,
    pub controls: ListControls,
}

#[derive(Template)]
#[template(path = "tokens/delete.html")]
pub struct DeleteTokenPage<'a> {
    pub page: Page,
    pub row: TokenRowView<'a>,
    /// How many other companies the token serves (it goes on serving them).
    pub other_companies: usize,
}

impl DeleteTokenPage<'_> {
    pub fn question(&self) -> String {
        self.page.t.format(
            "token-delete_question",
            &[
                ("company_name", self.row.company_name.to_owned().into()),
                ("cif", self.row.cif.to_owned().into()),
            ],
        )
    }

    /// What deleting does: revokes the token, or only detaches it from this company when it
    /// serves others.
    pub fn explained(&self) -> String {
        match self.other_companies {
            0 => self.page.t.get("token-delete_explained"),
            n => self.page.t.format(
                "token-detach_explained",
                &[("companies", (n as i64).into())],
            ),
        }
    }
}

#[derive(Template)]
#[template(path = "tokens/reveal.html")]
pub struct RevealTokenPage {
    pub page: Page,
    pub company_id: i64,
    pub company_name: String,
    pub access_token: SecretString,
    pub expires: String,
}

impl RevealTokenPage {
    pub fn token_value(&self) -> &str {
        self.access_token.expose_secret()
    }
}

#[derive(Template)]
#[template(path = "companies/members.html")]
pub struct MembersPage {
    pub page: Page,
    pub company_id: i64,
    pub company_name: String,
    pub can_manage: bool,
    pub members: Vec<crate::db::models::companies::Member>,
    /// Pending invitations, shown to company admins only.
    pub invitations: Vec<InvitationView>,
    pub me: i64,
}

#[derive(Template)]
#[template(path = "members/invite_many.html")]
pub struct InviteManyPage {
    pub page: Page,
    /// The companies the person administers, the ones ticked before an error kept ticked.
    pub companies: Vec<ChoosableCompany>,
    /// "The 30 companies you administer".
    pub legend: String,
    pub email: String,
    pub admin: bool,
    pub error: Option<String>,
}

/// A company with a tick box in a form about several companies.
pub struct ChoosableCompany {
    pub id: i64,
    pub cif: String,
    pub name: Option<String>,
    pub chosen: bool,
}

impl ChoosableCompany {
    /// `companies` as boxes, ticked where `chosen` (the form's values, ids as typed) names them.
    pub fn list(companies: &[Company], chosen: &[String]) -> Vec<ChoosableCompany> {
        let chosen: std::collections::HashSet<&str> = chosen.iter().map(|id| id.trim()).collect();
        companies
            .iter()
            .map(|c| ChoosableCompany {
                id: c.id,
                cif: c.cif.to_string(),
                name: c.name.clone().filter(|n| !n.is_empty()),
                chosen: chosen.contains(c.id.to_string().as_str()),
            })
            .collect()
    }
}

#[derive(Template)]
#[template(path = "members/remove.html")]
pub struct RemoveMemberPage {
    pub page: Page,
    pub company_id: i64,
    pub member_id: i64,
    pub question: String,
}

/// A pending invitation on a company's members page.
pub struct InvitationView {
    pub id: i64,
    pub email: String,
    pub role: crate::domain::MemberRole,
    pub invited_at: String,
}

/// An invitation waiting for the logged-in person, on their dashboard: what it offers, in words.
pub struct ReceivedInvitationView {
    pub id: i64,
    pub text: String,
}

#[derive(Template)]
#[template(path = "jobs/show.html")]
pub struct JobPage {
    pub page: Page,
    pub job: crate::db::models::refresh_jobs::RefreshJob,
    /// The companies whose refresh failed, with their token's last error.
    pub failures: Vec<(crate::db::models::companies::Company, Option<String>)>,
}

impl JobPage {
    pub fn progress(&self) -> String {
        let number = |n: i32| i64::from(n).into();
        self.page.t.format(
            "jobs-progress",
            &[
                ("done", number(self.job.succeeded + self.job.failed)),
                ("total", number(self.job.total)),
                ("refreshed", number(self.job.succeeded)),
                ("failed", number(self.job.failed)),
            ],
        )
    }
}

#[derive(Template)]
#[template(path = "support/index.html")]
pub struct SupportPage<'a> {
    pub page: Page,
    pub counts: Vec<StatusCount>,
    /// The "all" counter's link (the search kept).
    pub all_href: String,
    pub rows: Vec<SupportRow<'a>>,
    pub pagination: Pagination,
    pub search: String,
    pub status: &'static str,
    /// What a new search keeps (the status filter, page size).
    pub keep: Vec<(&'static str, String)>,
}

#[derive(Template)]
#[template(path = "support/company.html")]
pub struct SupportCompanyPage<'a> {
    pub page: Page,
    pub company_name: String,
    pub row: TokenRowView<'a>,
    pub diagnosis: DiagnosisView,
    pub members: Vec<crate::db::models::companies::Member>,
    /// Other people's records of the same CIF.
    pub same_cif: Vec<SupportRecord>,
    pub history: Vec<HistoryView>,
}

/// A row of the support list: the token status and who administers the record (a CIF can be in
/// several people's lists, each its own record).
pub struct SupportRow<'a> {
    pub row: TokenRowView<'a>,
    pub admins: String,
}

/// Another record of a CIF, on the support page of one of them.
pub struct SupportRecord {
    pub company_id: i64,
    pub name: String,
    pub admins: String,
}

pub struct UserView {
    pub id: i64,
    pub email: String,
    pub role: &'static str,
    pub disabled: bool,
    pub verified: bool,
    pub created: String,
    pub is_me: bool,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
pub struct UsersPage {
    pub page: Page,
    pub users: Vec<UserView>,
    pub pagination: Pagination,
    pub search: String,
    /// Nothing: the search macro's hidden fields.
    pub keep: Vec<(&'static str, String)>,
}

pub struct AuditView {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub label: String,
    pub company_id: Option<i64>,
    pub token_id: Option<i64>,
    pub success: bool,
    pub ip: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
pub struct AuditLogPage {
    pub page: Page,
    pub events: Vec<AuditView>,
    pub pagination: Pagination,
    pub query: crate::http::web::admin::AuditQuery,
}

/// One minute of the ANAF budget's use.
pub struct BudgetMinute {
    pub minute: String,
    pub calls: i32,
    pub percent: u32,
}

/// One refresh engine on the lifecycle page.
pub struct InstanceRow {
    pub host: String,
    pub started: String,
    pub last_tick: String,
    pub next_tick: String,
    pub last_sweep: String,
    pub running: bool,
    pub state: String,
}

/// A count with what it counts, in words.
pub struct Counted {
    pub code: &'static str,
    pub label: String,
    pub count: usize,
}

#[derive(Template)]
#[template(path = "support/lifecycle.html")]
pub struct LifecyclePage {
    pub page: Page,
    pub summary: crate::services::lifecycle::Lifecycle,
    pub statuses: Vec<Counted>,
    pub states: Vec<Counted>,
    pub budget: Vec<BudgetMinute>,
    /// The budget's limit, in words.
    pub limit: String,
    /// Until when every call waits (ANAF answered 429), in words.
    pub paused: Option<String>,
    pub instances: Vec<InstanceRow>,
    /// The mail outbox: what waits, what was given up.
    pub email: String,
}

#[derive(Template)]
#[template(path = "coverage/index.html")]
pub struct CoveragePage {
    pub page: Page,
    pub summary: String,
    /// How many companies have no working token.
    pub uncovered: usize,
    /// Some company without a working token has an offer: the page offers to attach them.
    pub offers_for_uncovered: bool,
    /// Its columns: every certificate whose token serves (or could serve) some of the companies.
    pub certificates: Vec<CertificateView>,
    pub rows: Vec<CoverageRow>,
}

/// One company: whether a working token serves it, and its cell under each certificate.
pub struct CoverageRow {
    pub company_id: i64,
    pub label: String,
    pub cif: String,
    pub covered: bool,
    pub cells: Vec<CoverageCell>,
}

/// What a certificate is to a company.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoverageCell {
    /// Its token serves the company; the token's status there.
    Serves {
        label: String,
        class: &'static str,
    },
    /// Its rights for the company were confirmed; it could be attached.
    Offered,
    Empty,
}

impl CoverageCell {
    pub fn code(&self) -> &'static str {
        match self {
            CoverageCell::Serves { .. } => "serves",
            CoverageCell::Offered => "offered",
            CoverageCell::Empty => "",
        }
    }
}

#[derive(Template)]
#[template(path = "sandbox/mailbox.html")]
pub struct SandboxMailboxPage {
    pub page: Page,
    pub mails: Vec<SandboxMailRow>,
    pub pagination: Pagination,
}

pub struct SandboxMailRow {
    pub id: i64,
    pub sent: String,
    pub recipient: String,
    pub subject: String,
}

#[derive(Template)]
#[template(path = "sandbox/mail.html")]
pub struct SandboxMailPage {
    pub page: Page,
    pub mail: crate::db::models::sandbox_mails::SandboxMail,
    pub sent: String,
    /// The addresses in the mail's text, as links to click.
    pub links: Vec<String>,
}
