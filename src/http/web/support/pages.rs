//! The support pages: the list of every company, one company's record, the lifecycle page.

use askama::Template;

use crate::http::web::company_list::StatusCount;
use crate::http::web::diagnosis::DiagnosisView;
use crate::http::web::page::Page;
use crate::http::web::views::{HistoryView, Pagination, TokenRowView};

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
    pub members: Vec<crate::services::companies::Member>,
    /// Other people's records of the same CIF.
    pub same_cif: Vec<SupportRecord>,
    pub history: Vec<HistoryView>,
    /// e-Factura through the gateway, as the company's own page shows it.
    pub efactura: Option<crate::http::web::companies::efactura::EfacturaUsageView>,
}

/// A row of the support list: the token status and who administers the record (a CIF can be in
/// several people's lists, each its own record).
pub struct SupportRow<'a> {
    pub row: TokenRowView<'a>,
    pub admins: String,
}

/// Another record of a CIF, on the support page of one of them.
pub struct SupportRecord {
    pub company_id: crate::domain::CompanyId,
    pub name: String,
    pub admins: String,
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
