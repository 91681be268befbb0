//! A person's list of companies as the dashboard, the token table and the support list show it:
//! the query string (search, status, order, page size, page), the controls built from it
//! (status counters, sortable headers, page sizes), and one page of rows read in one database
//! round.

use serde::Deserialize;

use crate::domain::UserId;
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::http::web::views::{PAGE_SIZE, Pagination, TokenRowView};
use crate::i18n::Catalog;
use crate::services::companies::{
    CompanyQuery, CompanyRow, ListSort, MemberCompanies, MemberToken, SortColumn, StatusCounts,
    StatusFilter,
};
use crate::services::now;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub per: Option<String>,
    #[serde(default)]
    pub page: Option<String>,
}

/// The page sizes a person's lists offer (`?per=`); anything else is the default.
pub const PAGE_SIZES: [i64; 4] = [PAGE_SIZE, 50, 100, 200];

impl ListQuery {
    pub fn page(&self) -> i64 {
        Pagination::parse_page(self.page.as_deref())
    }

    pub fn status_filter(&self) -> Option<StatusFilter> {
        StatusFilter::parse(self.status.trim())
    }

    /// The order asked for; an unknown one is the default order.
    pub fn sort(&self) -> ListSort {
        ListSort::parse(self.sort.trim()).unwrap_or_default()
    }

    pub fn page_size(&self) -> i64 {
        self.per
            .as_deref()
            .and_then(|per| per.trim().parse::<i64>().ok())
            .filter(|per| PAGE_SIZES.contains(per))
            .unwrap_or(PAGE_SIZE)
    }

    /// The query string without the page, for pagination links.
    pub fn base_query(&self) -> String {
        self.link("", self.status_filter(), self.sort(), self.page_size())
            .trim_start_matches('?')
            .to_owned()
    }

    pub fn pagination(&self, total: i64) -> Pagination {
        Pagination::sized(self.page(), self.page_size(), total, self.base_query())
    }

    pub fn to_company_query(&self, with_token_only: bool) -> CompanyQuery {
        CompanyQuery {
            search: Some(self.q.clone()).filter(|q| !q.trim().is_empty()),
            status: self.status_filter(),
            with_token_only,
            sort: self.sort(),
            offset: Pagination::offset(self.page(), self.page_size()),
            limit: self.page_size(),
        }
    }

    /// This list at `path`, with the search, order and page size kept and the status set to
    /// `status`.
    pub fn with_status(&self, path: &str, status: Option<StatusFilter>) -> String {
        self.link(path, status, self.sort(), self.page_size())
    }

    /// This list sorted by `column`: ascending, or descending when it already is ascending by it.
    pub fn sorted_by(&self, path: &str, column: SortColumn) -> String {
        let current = self.sort();
        let descending = current.column == column && !current.descending;
        let sort = ListSort { column, descending };
        self.link(path, self.status_filter(), sort, self.page_size())
    }

    pub fn with_page_size(&self, path: &str, size: i64) -> String {
        self.link(path, self.status_filter(), self.sort(), size)
    }

    /// A link to `path` with these parameters (defaults left out), always on its first page.
    fn link(&self, path: &str, status: Option<StatusFilter>, sort: ListSort, size: i64) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if !self.q.trim().is_empty() {
            query.append_pair("q", self.q.trim());
        }
        if let Some(status) = status {
            query.append_pair("status", status.code());
        }
        if sort != ListSort::default() {
            query.append_pair("sort", &sort.code());
        }
        if size != PAGE_SIZE {
            query.append_pair("per", &size.to_string());
        }
        match query.finish() {
            q if q.is_empty() => path.to_owned(),
            q => format!("{path}?{q}"),
        }
    }

    /// A sortable column's header: its link, and which way the list is sorted by it now.
    pub fn sort_header(&self, path: &str, column: SortColumn, label: String) -> SortHeader {
        let current = self.sort();
        SortHeader {
            label,
            href: self.sorted_by(path, column),
            aria_sort: match current {
                ListSort { column: c, .. } if c != column => "none",
                ListSort {
                    descending: true, ..
                } => "descending",
                _ => "ascending",
            },
        }
    }

    /// The "rows per page" choices.
    pub fn page_sizes(&self, path: &str) -> Vec<PageSizeChoice> {
        PAGE_SIZES
            .into_iter()
            .map(|size| PageSizeChoice {
                size,
                href: self.with_page_size(path, size),
                active: size == self.page_size(),
            })
            .collect()
    }
}

/// What a person's list shows around its rows: sortable headers, the page sizes, and the
/// hidden fields a new search keeps (status, order, page size).
pub struct ListControls {
    pub cif: SortHeader,
    pub name: SortHeader,
    pub access_expires: SortHeader,
    pub refresh_expires: SortHeader,
    pub page_sizes: Vec<PageSizeChoice>,
    pub keep: Vec<(&'static str, String)>,
}

impl ListQuery {
    pub fn controls(&self, path: &str, t: &Catalog) -> ListControls {
        let header = |column, label| self.sort_header(path, column, t.get(label));
        ListControls {
            cif: header(SortColumn::Cif, "company-cif"),
            name: header(SortColumn::Name, "company-name"),
            access_expires: header(SortColumn::AccessExpiry, "token-access_expires"),
            refresh_expires: header(SortColumn::RefreshExpiry, "token-refresh_expires"),
            page_sizes: self.page_sizes(path),
            keep: self.kept_by_search(),
        }
    }

    /// The hidden fields a new search keeps: the status filter, order and page size.
    pub fn kept_by_search(&self) -> Vec<(&'static str, String)> {
        let mut keep = Vec::new();
        if let Some(status) = self.status_filter() {
            keep.push(("status", status.code().to_owned()));
        }
        if self.sort() != ListSort::default() {
            keep.push(("sort", self.sort().code()));
        }
        if self.page_size() != PAGE_SIZE {
            keep.push(("per", self.page_size().to_string()));
        }
        keep
    }
}

/// A column header that sorts the list (`aria-sort` says how it is sorted now).
pub struct SortHeader {
    pub label: String,
    pub href: String,
    /// `ascending`, `descending` or `none`.
    pub aria_sort: &'static str,
}

impl SortHeader {
    pub fn arrow(&self) -> &'static str {
        match self.aria_sort {
            "ascending" => "▲",
            "descending" => "▼",
            _ => "",
        }
    }
}

pub struct PageSizeChoice {
    pub size: i64,
    pub href: String,
    pub active: bool,
}

/// The status counters above a list (counting what the search matches), each a link that
/// filters by it and keeps the search.
pub struct StatusCount {
    pub code: &'static str,
    pub label: String,
    pub count: i64,
    pub active: bool,
    pub href: String,
}

pub fn status_counts_view(
    counts: StatusCounts,
    query: &ListQuery,
    path: &str,
    t: &Catalog,
) -> Vec<StatusCount> {
    let current = query.status_filter();
    counts
        .into_iter()
        .map(|(filter, count)| StatusCount {
            href: query.with_status(path, Some(filter)),
            code: filter.code(),
            label: t.get(match filter {
                StatusFilter::NotConnected => "filter-not_connected",
                StatusFilter::Connected => "filter-connected",
                StatusFilter::ExpiringSoon => "filter-expiring_soon",
                StatusFilter::Expired => "filter-expired",
                StatusFilter::ReconnectNeeded => "filter-reconnect_needed",
                StatusFilter::NoRights => "filter-no_rights",
            }),
            count,
            active: current == Some(filter),
        })
        .collect()
}

/// Which list of the user's companies a page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberList {
    /// Every company, with the status counters.
    Dashboard,
    /// Only companies with a token ("all my tokens").
    TokenTable,
}

/// One page of the user's companies, as the dashboard and the token table read it.
pub struct MemberPage {
    pub rows: Vec<CompanyRow>,
    pub total: i64,
    /// Every company of the user the search matches, whatever the status filter (the
    /// dashboard's counters).
    pub counts: StatusCounts,
    /// The user's tokens that may need them (the dashboard's queue; `attention_queue` sorts).
    pub attention: Vec<MemberToken>,
}

impl MemberPage {
    /// Two indexed queries (three with the dashboard's counters), whatever the number of
    /// companies or the page.
    pub async fn load(
        state: &AppState,
        user_id: UserId,
        query: &ListQuery,
        list: MemberList,
    ) -> Result<MemberPage, AppError> {
        let filter = query.to_company_query(list == MemberList::TokenTable);
        let MemberCompanies {
            rows,
            total,
            counts,
            attention,
        } = state
            .companies
            .member_companies(user_id, filter, list == MemberList::Dashboard)
            .await?;
        Ok(MemberPage {
            rows,
            total,
            counts,
            attention,
        })
    }

    pub fn rows<'a>(&'a self, t: &Catalog) -> Vec<TokenRowView<'a>> {
        let at = now();
        self.rows
            .iter()
            .map(|row| TokenRowView::from_row(row, at, t))
            .collect()
    }
}
