//! Read models of companies: the lists pages show (search, status filter, sort, counts).

use crate::db::DbConnection;
use crate::db::models::tokens::TokenMeta;
use crate::db::models::{escape_like, now};
use crate::db::schema::{anaf_tokens, companies, company_members, company_tokens, users};
use crate::domain::{MemberRole, Rights, TokenFacts, TokenState, TokenStatus, UserId};

use crate::db::models::companies::Company;
use chrono::NaiveDateTime;
use diesel::prelude::*;

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);
diesel::define_sql_function!(fn length(x: diesel::sql_types::Text) -> diesel::sql_types::Integer);
diesel::define_sql_function!(
    fn coalesce(
        x: diesel::sql_types::Nullable<diesel::sql_types::Text>,
        y: diesel::sql_types::Text,
    ) -> diesel::sql_types::Text
);

/// The status filters of the dashboard and the support area (see `TokenStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    NotConnected,
    Connected,
    ExpiringSoon,
    Expired,
    ReconnectNeeded,
    NoRights,
}

impl StatusFilter {
    pub const ALL: [StatusFilter; 6] = [
        StatusFilter::ExpiringSoon,
        StatusFilter::ReconnectNeeded,
        StatusFilter::Expired,
        StatusFilter::NoRights,
        StatusFilter::NotConnected,
        StatusFilter::Connected,
    ];

    pub fn code(self) -> &'static str {
        match self {
            StatusFilter::NotConnected => "not_connected",
            StatusFilter::Connected => "connected",
            StatusFilter::ExpiringSoon => "expiring_soon",
            StatusFilter::Expired => "expired",
            StatusFilter::ReconnectNeeded => "reconnect_needed",
            StatusFilter::NoRights => "no_rights",
        }
    }

    pub fn parse(code: &str) -> Option<StatusFilter> {
        StatusFilter::ALL.into_iter().find(|f| f.code() == code)
    }

    fn of(status: TokenStatus) -> StatusFilter {
        match status {
            TokenStatus::NotConnected => StatusFilter::NotConnected,
            TokenStatus::Connected { .. } => StatusFilter::Connected,
            TokenStatus::ExpiringSoon { .. } => StatusFilter::ExpiringSoon,
            TokenStatus::Expired => StatusFilter::Expired,
            TokenStatus::ReconnectNeeded => StatusFilter::ReconnectNeeded,
            TokenStatus::NoRights => StatusFilter::NoRights,
        }
    }
}

/// How many companies are in each status, in `StatusFilter::ALL`'s order.
pub type StatusCounts = Vec<(StatusFilter, i64)>;

/// A company's token columns that its status depends on (all `None`: no token).
#[derive(Queryable)]
struct StatusColumns {
    state: Option<TokenState>,
    rights: Option<Rights>,
    access_expires_at: Option<NaiveDateTime>,
    refresh_due_at: Option<NaiveDateTime>,
    has_refresh_token: Option<bool>,
    refresh_expires_at: Option<NaiveDateTime>,
}

/// `StatusColumns`'s selection over a left join with `anaf_tokens`.
macro_rules! status_columns {
    () => {
        (
            anaf_tokens::status.nullable(),
            company_tokens::rights.nullable(),
            anaf_tokens::access_expires_at.nullable(),
            anaf_tokens::refresh_due_at.nullable(),
            anaf_tokens::has_refresh_token.nullable(),
            anaf_tokens::refresh_expires_at.nullable(),
        )
    };
}

impl StatusColumns {
    fn status(self, at: NaiveDateTime) -> TokenStatus {
        match (
            self.state,
            self.rights,
            self.access_expires_at,
            self.refresh_due_at,
            self.has_refresh_token,
        ) {
            (
                Some(state),
                Some(rights),
                Some(access_expires_at),
                Some(refresh_due_at),
                Some(has),
            ) => TokenFacts {
                state,
                rights,
                access_expires_at,
                refresh_due_at,
                has_refresh_token: has,
                refresh_expires_at: self.refresh_expires_at,
                // The status does not depend on it.
                reconnect: None,
            }
            .status(at),
            _ => TokenStatus::NotConnected,
        }
    }
}

/// Counts the statuses; the status itself comes from `TokenFacts`, the one place that defines it.
fn count_statuses(tokens: Vec<StatusColumns>, at: NaiveDateTime) -> StatusCounts {
    let mut counts: StatusCounts = StatusFilter::ALL.iter().map(|f| (*f, 0)).collect();
    for columns in tokens {
        let filter = StatusFilter::of(columns.status(at));
        if let Some(entry) = counts.iter_mut().find(|(f, _)| *f == filter) {
            entry.1 += 1;
        }
    }
    counts
}

/// Which companies a list shows.
#[derive(Debug, Clone, Default)]
pub struct CompanyQuery {
    /// See `Search`.
    pub search: Option<String>,
    pub status: Option<StatusFilter>,
    /// Only companies that have a token (the "all my tokens" page).
    pub with_token_only: bool,
    pub sort: ListSort,
    pub offset: i64,
    pub limit: i64,
}

/// A column a person's list can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortColumn {
    /// The access token's expiry, companies without a token last (the default).
    #[default]
    AccessExpiry,
    /// The refresh token's expiry: when a new Connect ANAF will be needed at the latest.
    RefreshExpiry,
    /// Numerically: shorter CIFs first, then by digits.
    Cif,
    /// The name, or the CIF where there is none, case-insensitively.
    Name,
}

impl SortColumn {
    pub const ALL: [SortColumn; 4] = [
        SortColumn::AccessExpiry,
        SortColumn::RefreshExpiry,
        SortColumn::Cif,
        SortColumn::Name,
    ];

    pub fn code(self) -> &'static str {
        match self {
            SortColumn::AccessExpiry => "expires",
            SortColumn::RefreshExpiry => "reconnect",
            SortColumn::Cif => "cif",
            SortColumn::Name => "name",
        }
    }
}

/// How a list is sorted: `?sort=name` ascending, `?sort=-name` descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ListSort {
    pub column: SortColumn,
    pub descending: bool,
}

impl ListSort {
    /// `None` for anything but a known column, with an optional leading `-`.
    pub fn parse(raw: &str) -> Option<ListSort> {
        let (descending, code) = match raw.strip_prefix('-') {
            Some(code) => (true, code),
            None => (false, raw),
        };
        let column = SortColumn::ALL.into_iter().find(|c| c.code() == code)?;
        Some(ListSort { column, descending })
    }

    pub fn code(self) -> String {
        format!(
            "{}{}",
            if self.descending { "-" } else { "" },
            self.column.code()
        )
    }
}

impl CompanyQuery {
    /// Every company the search matches, whatever its status (the status counters).
    pub fn matching(search: Option<String>) -> CompanyQuery {
        CompanyQuery {
            search,
            status: None,
            with_token_only: false,
            sort: ListSort::default(),
            offset: 0,
            limit: i64::MAX,
        }
    }
}

/// What a list search matches: any part of the name (case-insensitively), or the start of the
/// CIF (an `RO` prefix and spaces ignored). The support area's search also matches members' emails.
pub struct Search {
    /// Lower-cased.
    pub name_part: String,
    pub cif_prefix: String,
}

impl Search {
    /// `None` for a blank search (no filter).
    pub fn parse(search: &str) -> Option<Search> {
        let search = search.trim();
        if search.is_empty() {
            return None;
        }
        Some(Search {
            name_part: search.to_lowercase(),
            cif_prefix: search
                .trim_start_matches(['R', 'r', 'O', 'o'])
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect(),
        })
    }

    fn name_pattern(&self) -> String {
        format!("%{}%", escape_like(&self.name_part))
    }

    fn cif_pattern(&self) -> String {
        format!("{}%", escape_like(&self.cif_prefix))
    }
}

/// One row of the dashboard or token table: the company, the caller's role, and the token's
/// metadata (never its secrets).
pub struct CompanyRow {
    pub company: Company,
    pub role: MemberRole,
    pub token: Option<TokenMeta>,
}

/// Adds `CompanyQuery`'s search (name or CIF), status and token-only filters to a boxed query over
/// `companies` left-joined with the token serving each (`company_tokens` and `anaf_tokens`) (with or without the memberships joined in).
macro_rules! filter_companies {
    ($q:expr, $query:expr, $at:expr) => {{
        let mut q = $q;
        let query: &CompanyQuery = $query;
        let at: NaiveDateTime = $at;
        if let Some(search) = query.search.as_deref().and_then(Search::parse) {
            q = q.filter(
                lower(companies::name.assume_not_null())
                    .like(search.name_pattern())
                    .escape('\\')
                    .or(companies::cif.like(search.cif_pattern()).escape('\\')),
            );
        }
        if query.with_token_only {
            q = q.filter(anaf_tokens::id.is_not_null());
        }
        // The SQL twin of `TokenFacts::status` (a unit test keeps them in step).
        let active = || anaf_tokens::status.eq(TokenState::Active);
        let refreshable = || {
            anaf_tokens::has_refresh_token.and(
                anaf_tokens::refresh_expires_at
                    .is_null()
                    .or(anaf_tokens::refresh_expires_at.gt(at)),
            )
        };
        let usable = || anaf_tokens::access_expires_at.gt(at).or(refreshable());
        q = match query.status {
            None => q,
            Some(StatusFilter::NotConnected) => q.filter(anaf_tokens::id.is_null()),
            Some(StatusFilter::ReconnectNeeded) => {
                q.filter(anaf_tokens::status.eq(TokenState::ReconnectNeeded))
            }
            Some(StatusFilter::Expired) => q.filter(active().and(diesel::dsl::not(usable()))),
            Some(StatusFilter::NoRights) => q.filter(
                active()
                    .and(usable())
                    .and(company_tokens::rights.eq(Rights::Denied)),
            ),
            Some(StatusFilter::ExpiringSoon) => q.filter(
                active()
                    .and(usable())
                    .and(anaf_tokens::refresh_due_at.le(at))
                    .and(company_tokens::rights.ne(Rights::Denied)),
            ),
            Some(StatusFilter::Connected) => q.filter(
                active()
                    .and(anaf_tokens::refresh_due_at.gt(at))
                    .and(company_tokens::rights.ne(Rights::Denied)),
            ),
        };
        q
    }};
}

/// Orders a boxed query over `companies` left-joined with `anaf_tokens` by a `ListSort`; ties by
/// CIF, then by id, so that pages never overlap. Companies without a token (or without the date)
/// come last whichever the direction.
macro_rules! sort_companies {
    ($q:expr, $sort:expr) => {{
        let sort: ListSort = $sort;
        let q = $q;
        let descending = sort.descending;
        let display_name = || lower(coalesce(companies::name, companies::cif));
        let q = match sort.column {
            SortColumn::AccessExpiry if descending => q.order_by((
                anaf_tokens::id.is_null(),
                anaf_tokens::access_expires_at.desc(),
            )),
            SortColumn::AccessExpiry => q.order_by((
                anaf_tokens::id.is_null(),
                anaf_tokens::access_expires_at.asc(),
            )),
            SortColumn::RefreshExpiry if descending => q.order_by((
                anaf_tokens::refresh_expires_at.is_null(),
                anaf_tokens::refresh_expires_at.desc(),
            )),
            SortColumn::RefreshExpiry => q.order_by((
                anaf_tokens::refresh_expires_at.is_null(),
                anaf_tokens::refresh_expires_at.asc(),
            )),
            SortColumn::Cif if descending => {
                q.order_by((length(companies::cif).desc(), companies::cif.desc()))
            }
            SortColumn::Cif => q.order_by((length(companies::cif).asc(), companies::cif.asc())),
            SortColumn::Name if descending => q.order_by(display_name().desc()),
            SortColumn::Name => q.order_by(display_name().asc()),
        };
        q.then_order_by(companies::cif.asc())
            .then_order_by(companies::id.asc())
    }};
}

/// A page of the companies `user_id` is a member of, in the query's order (by default the
/// soonest-expiring token first and companies without a token last), and how many match in all:
/// two indexed queries whatever the number of companies or the page.
pub fn page_for_member(
    conn: &mut DbConnection,
    user_id: UserId,
    query: &CompanyQuery,
) -> QueryResult<(Vec<CompanyRow>, i64)> {
    let at = now();
    let base = || {
        left_join_serving_token!(companies::table.inner_join(company_members::table))
            .filter(company_members::user_id.eq(user_id))
            .into_boxed()
    };
    let total: i64 = filter_companies!(base(), query, at)
        .count()
        .get_result(conn)?;
    let rows = sort_companies!(filter_companies!(base(), query, at), query.sort)
        .offset(query.offset)
        .limit(query.limit)
        .select((
            Company::as_select(),
            company_members::role,
            Option::<TokenMeta>::as_select(),
        ))
        .load::<(Company, MemberRole, Option<TokenMeta>)>(conn)?
        .into_iter()
        .map(|(company, role, token)| CompanyRow {
            company,
            role,
            token,
        })
        .collect();
    Ok((rows, total))
}

/// How many of `user_id`'s companies are in each status: one index-only query.
/// How many of `user_id`'s companies show each status, among those the search matches.
pub fn status_counts_for_member(
    conn: &mut DbConnection,
    user_id: UserId,
    search: Option<String>,
) -> QueryResult<StatusCounts> {
    let at = now();
    let matching = CompanyQuery::matching(search);
    let base = left_join_serving_token!(companies::table.inner_join(company_members::table))
        .filter(company_members::user_id.eq(user_id))
        .into_boxed();
    let columns: Vec<StatusColumns> = filter_companies!(base, &matching, at)
        .select(status_columns!())
        .load(conn)?;
    Ok(count_statuses(columns, at))
}

/// A company and its token, if any.
pub type CompanyWithToken = (Company, Option<TokenMeta>);

/// A page of every company on the platform with its token (the support area, where the search
/// also matches members' emails), in the query's order, and the total count.
pub fn list(
    conn: &mut DbConnection,
    query: &CompanyQuery,
) -> QueryResult<(Vec<CompanyWithToken>, i64)> {
    let at = now();
    // The search (name, CIF or a member's email) is applied here; `filter_companies!` adds the rest.
    let search = query.search.as_deref().and_then(Search::parse);
    let rest = CompanyQuery {
        search: None,
        ..query.clone()
    };
    let base = || {
        let mut q = left_join_serving_token!(companies::table).into_boxed();
        if let Some(search) = &search {
            let by_member = companies::id.eq_any(
                company_members::table
                    .inner_join(users::table)
                    .filter(users::email.like(search.name_pattern()).escape('\\'))
                    .select(company_members::company_id),
            );
            q = q.filter(
                lower(companies::name.assume_not_null())
                    .like(search.name_pattern())
                    .escape('\\')
                    .or(companies::cif.like(search.cif_pattern()).escape('\\'))
                    .or(by_member),
            );
        }
        filter_companies!(q, &rest, at)
    };
    let total: i64 = base().count().get_result(conn)?;
    let rows = sort_companies!(base(), query.sort)
        .select((Company::as_select(), Option::<TokenMeta>::as_select()))
        .offset(query.offset)
        .limit(query.limit)
        .load(conn)?;
    Ok((rows, total))
}

/// How many companies on the platform are in each status (the support area's counters).
/// How many companies of the portal show each status, among those the search matches.
pub fn status_counts(conn: &mut DbConnection, search: Option<String>) -> QueryResult<StatusCounts> {
    let at = now();
    let matching = CompanyQuery::matching(search);
    let base = left_join_serving_token!(companies::table).into_boxed();
    let columns: Vec<StatusColumns> = filter_companies!(base, &matching, at)
        .select(status_columns!())
        .load(conn)?;
    Ok(count_statuses(columns, at))
}

/// The companies administered by the company admins of `company_ids`, other than those, each
/// with the token serving it (at most 500, by CIF): where a new token might serve too. (Company
/// ids as numbers: the token services still pass them so.)
pub fn of_fellow_admins(
    conn: &mut DbConnection,
    company_ids: &[i64],
) -> QueryResult<Vec<(Company, Option<TokenMeta>)>> {
    let admins: Vec<UserId> = company_members::table
        .filter(company_members::company_id.eq_any(company_ids))
        .filter(company_members::role.eq(MemberRole::Admin))
        .select(company_members::user_id)
        .distinct()
        .load(conn)?;
    let mut rows: Vec<(Company, Option<TokenMeta>)> =
        left_join_serving_token!(companies::table.inner_join(company_members::table))
            .filter(company_members::user_id.eq_any(&admins))
            .filter(company_members::role.eq(MemberRole::Admin))
            .filter(diesel::dsl::not(companies::id.eq_any(company_ids)))
            .order((companies::cif, companies::id))
            .limit(500)
            .select((Company::as_select(), Option::<TokenMeta>::as_select()))
            .load(conn)?;
    rows.dedup_by_key(|(company, _)| company.id);
    Ok(rows)
}
