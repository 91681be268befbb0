//! Rows as pages show them: dates formatted, statuses labelled, in the reader's language.

use chrono::NaiveDateTime;

use crate::db::models::companies::{Company, CompanyRow, MemberRole};
use crate::db::models::tokens::{Rights, TokenMeta};
use crate::i18n::Catalog;
use crate::tokens::TokenStatus;

/// `2026-03-16 10:30 UTC`.
pub fn date_time(at: NaiveDateTime) -> String {
    crate::timestamps::minutes_utc(at)
}

fn optional_date(at: Option<NaiveDateTime>, t: &Catalog) -> Text<'static> {
    at.map_or(Text::Borrowed(t.get("common.dash")), |at| {
        Text::Owned(date_time(at))
    })
}

/// "in 12 days" / "3 days ago" / "today".
pub fn relative_days(at: NaiveDateTime, now: NaiveDateTime, t: &Catalog) -> Text<'static> {
    let days = (at - now).num_days();
    match days {
        0 if at >= now => Text::Borrowed(t.get("time.today")),
        d if d > 0 => Text::Owned(t.format("time.in_days", &[&d])),
        _ => Text::Owned(t.format("time.days_ago", &[&(now - at).num_days().max(0)])),
    }
}

/// A cell's text: a catalog entry or a value of the row as they are, or something written for
/// this row (most cells need no allocation).
pub type Text<'a> = std::borrow::Cow<'a, str>;

/// One row of a token table (or of the dashboard), borrowing from the company and token it shows.
pub struct TokenRowView<'a> {
    pub company_id: i64,
    pub cif: &'a str,
    pub company_name: &'a str,
    pub token_id: Option<i64>,
    pub status: TokenStatus,
    pub status_label: Text<'a>,
    pub access_expires: Text<'a>,
    pub access_relative: Text<'a>,
    pub refresh_expires: Text<'a>,
    pub certificate_serial: Text<'a>,
    pub certificate_issuer: Text<'a>,
    pub created: Text<'a>,
    pub last_refreshed: Text<'a>,
    pub rights: Text<'a>,
    pub rights_detail: Option<&'a str>,
    pub last_error: Option<&'a str>,
    pub has_refresh_token: bool,
    pub can_manage: bool,
}

impl<'a> TokenRowView<'a> {
    pub fn new(
        company: &'a Company,
        role: MemberRole,
        token: Option<&'a TokenMeta>,
        now: NaiveDateTime,
        t: &Catalog,
    ) -> TokenRowView<'a> {
        let status = TokenStatus::of(token, now);
        let dash = Text::Borrowed(t.get("common.dash"));
        let text = |value: &'a Option<String>| {
            value
                .as_deref()
                .map_or_else(|| dash.clone(), Text::Borrowed)
        };
        TokenRowView {
            company_id: company.id,
            cif: &company.cif,
            company_name: company.display_name(),
            token_id: token.map(|tk| tk.id),
            status,
            status_label: status.label(t),
            access_expires: token.map_or_else(
                || dash.clone(),
                |tk| Text::Owned(date_time(tk.access_expires_at)),
            ),
            access_relative: token
                .map(|tk| relative_days(tk.access_expires_at, now, t))
                .unwrap_or_default(),
            refresh_expires: token.map_or_else(
                || dash.clone(),
                |tk| {
                    if tk.has_refresh_token {
                        optional_date(tk.refresh_expires_at, t)
                    } else {
                        Text::Borrowed(t.get("token.no_refresh_token"))
                    }
                },
            ),
            certificate_serial: token
                .map_or_else(|| dash.clone(), |tk| text(&tk.certificate_serial)),
            certificate_issuer: token
                .map_or_else(|| dash.clone(), |tk| text(&tk.certificate_issuer)),
            created: token.map_or_else(|| dash.clone(), |tk| Text::Owned(date_time(tk.created_at))),
            last_refreshed: token
                .map_or_else(|| dash.clone(), |tk| optional_date(tk.last_refreshed_at, t)),
            rights: token.map_or_else(
                || dash.clone(),
                |tk| {
                    Text::Borrowed(t.get(match tk.rights() {
                        Rights::Granted => "rights.granted",
                        Rights::Denied => "rights.denied",
                        Rights::Unknown => "rights.unknown",
                    }))
                },
            ),
            rights_detail: token.and_then(|tk| tk.rights_detail.as_deref()),
            last_error: token.and_then(|tk| tk.last_error.as_deref()),
            has_refresh_token: token.is_some_and(|tk| tk.has_refresh_token),
            can_manage: role == MemberRole::Admin,
        }
    }

    pub fn from_row(row: &'a CompanyRow, now: NaiveDateTime, t: &Catalog) -> TokenRowView<'a> {
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
