//! Rows as pages show them: dates formatted, statuses labelled, in the reader's language.

use chrono::NaiveDateTime;

use crate::db::models::companies::{Company, CompanyRow, MemberRole};
use crate::db::models::tokens::{Rights, TokenMeta};
use crate::i18n::Catalog;
use crate::tokens::TokenStatus;

/// `2026-03-16 10:30 UTC`. Written by hand: chrono's `format` parses its pattern on every call,
/// and a token table formats a hundred dates.
pub fn date_time(at: NaiveDateTime) -> String {
    use chrono::{Datelike, Timelike};
    if !(0..=9999).contains(&at.year()) {
        return at.format("%Y-%m-%d %H:%M UTC").to_string();
    }
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute()
    )
}

fn optional_date(at: Option<NaiveDateTime>, t: &Catalog) -> String {
    at.map_or_else(|| t.get("common.dash").to_owned(), date_time)
}

/// "in 12 days" / "3 days ago" / "today".
pub fn relative_days(at: NaiveDateTime, now: NaiveDateTime, t: &Catalog) -> String {
    let days = (at - now).num_days();
    match days {
        0 if at >= now => t.get("time.today").to_owned(),
        d if d > 0 => t.format("time.in_days", &[&d]),
        _ => t.format("time.days_ago", &[&(now - at).num_days().max(0)]),
    }
}

/// One row of a token table (or of the dashboard).
pub struct TokenRowView {
    pub company_id: i64,
    pub cif: String,
    pub company_name: String,
    pub token_id: Option<i64>,
    pub status: TokenStatus,
    pub status_label: String,
    pub access_expires: String,
    pub access_relative: String,
    pub refresh_expires: String,
    pub certificate_serial: String,
    pub certificate_issuer: String,
    pub created: String,
    pub last_refreshed: String,
    pub rights: String,
    pub rights_detail: Option<String>,
    pub last_error: Option<String>,
    pub has_refresh_token: bool,
    pub can_manage: bool,
}

impl TokenRowView {
    pub fn new(
        company: &Company,
        role: MemberRole,
        token: Option<&TokenMeta>,
        now: NaiveDateTime,
        t: &Catalog,
    ) -> TokenRowView {
        let status = TokenStatus::of(token, now);
        let dash = || t.get("common.dash").to_owned();
        TokenRowView {
            company_id: company.id,
            cif: company.cif.clone(),
            company_name: company.display_name().to_owned(),
            token_id: token.map(|tk| tk.id),
            status,
            status_label: status.label(t),
            access_expires: token.map_or_else(dash, |tk| date_time(tk.access_expires_at)),
            access_relative: token
                .map(|tk| relative_days(tk.access_expires_at, now, t))
                .unwrap_or_default(),
            refresh_expires: token
                .map(|tk| {
                    if tk.has_refresh_token {
                        optional_date(tk.refresh_expires_at, t)
                    } else {
                        t.get("token.no_refresh_token").to_owned()
                    }
                })
                .unwrap_or_else(dash),
            certificate_serial: token
                .and_then(|tk| tk.certificate_serial.clone())
                .unwrap_or_else(dash),
            certificate_issuer: token
                .and_then(|tk| tk.certificate_issuer.clone())
                .unwrap_or_else(dash),
            created: token.map_or_else(dash, |tk| date_time(tk.created_at)),
            last_refreshed: token
                .map(|tk| optional_date(tk.last_refreshed_at, t))
                .unwrap_or_else(dash),
            rights: token
                .map(|tk| {
                    t.get(match tk.rights() {
                        Rights::Granted => "rights.granted",
                        Rights::Denied => "rights.denied",
                        Rights::Unknown => "rights.unknown",
                    })
                    .to_owned()
                })
                .unwrap_or_else(dash),
            rights_detail: token.and_then(|tk| tk.rights_detail.clone()),
            last_error: token.and_then(|tk| tk.last_error.clone()),
            has_refresh_token: token.is_some_and(|tk| tk.has_refresh_token),
            can_manage: role == MemberRole::Admin,
        }
    }

    pub fn from_row(row: &CompanyRow, now: NaiveDateTime, t: &Catalog) -> TokenRowView {
        TokenRowView::new(&row.company, row.role, row.token.as_ref(), now, t)
    }

    pub fn status_class(&self) -> &'static str {
        self.status.badge_class()
    }

    pub fn needs_reconnect(&self) -> bool {
        matches!(
            self.status,
            TokenStatus::ReconnectNeeded | TokenStatus::Expired
        )
    }

    pub fn no_rights(&self) -> bool {
        self.status == TokenStatus::NoRights
    }
}

/// Page numbers for a list.
pub struct Pagination {
    pub page: i64,
    pub pages: i64,
    pub total: i64,
    /// The query string without `page`, to build links.
    pub base_query: String,
}

pub const PAGE_SIZE: i64 = 25;

impl Pagination {
    pub fn new(page: i64, total: i64, base_query: String) -> Pagination {
        let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
        Pagination {
            page: page.clamp(1, pages),
            pages,
            total,
            base_query,
        }
    }

    /// A `?page=` value, or 1 when it is missing or not a sensible page number.
    pub fn parse_page(raw: Option<&str>) -> i64 {
        raw.and_then(|p| p.parse::<i64>().ok())
            .filter(|p| (1..1_000_000).contains(p))
            .unwrap_or(1)
    }

    pub fn offset(page: i64) -> i64 {
        (page.max(1) - 1) * PAGE_SIZE
    }

    pub fn has_previous(&self) -> bool {
        self.page > 1
    }

    pub fn has_next(&self) -> bool {
        self.page < self.pages
    }

    pub fn link(&self, page: i64) -> String {
        if self.base_query.is_empty() {
            format!("?page={page}")
        } else {
            format!("?{}&page={page}", self.base_query)
        }
    }

    pub fn page_of(&self, t: &Catalog) -> String {
        t.format("list.page_of", &[&self.page, &self.pages])
    }

    pub fn previous_link(&self) -> String {
        self.link(self.page - 1)
    }

    pub fn next_link(&self) -> String {
        self.link(self.page + 1)
    }
}
