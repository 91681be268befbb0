//! The start page: my companies with their token status, and adding a company.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::auth::PortalSession;
use crate::auth::session::FlashLevel;
use crate::db::models::companies::{self, CompanyQuery, CreateCompanyError, StatusFilter};
use crate::db::models::now;
use crate::domain::Cif;
use crate::error::AppError;
use crate::i18n::Catalog;
use crate::web::listing::Listing;
use crate::web::page::{Page, html, see_other};
use crate::web::state::AppState;
use crate::web::templates::DashboardPage;
use crate::web::views::{PAGE_SIZE, Pagination, TokenRowView};

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub page: Option<String>,
}

impl ListQuery {
    pub fn page(&self) -> i64 {
        Pagination::parse_page(self.page.as_deref())
    }

    pub fn status_filter(&self) -> Option<StatusFilter> {
        StatusFilter::parse(self.status.trim())
    }

    /// The query string without the page, for pagination links.
    pub fn base_query(&self) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if !self.q.trim().is_empty() {
            query.append_pair("q", self.q.trim());
        }
        if let Some(status) = self.status_filter() {
            query.append_pair("status", status.code());
        }
        query.finish()
    }

    pub fn to_company_query(&self, with_token_only: bool) -> CompanyQuery {
        CompanyQuery {
            search: Some(self.q.clone()).filter(|q| !q.trim().is_empty()),
            status: self.status_filter(),
            with_token_only,
            offset: Pagination::offset(self.page()),
            limit: PAGE_SIZE,
        }
    }
}

/// The status counters above a list, each a link that filters by it.
pub struct StatusCount {
    pub code: &'static str,
    pub label: &'static str,
    pub count: i64,
    pub active: bool,
}

pub fn status_counts_view(
    counts: Vec<(StatusFilter, i64)>,
    current: Option<StatusFilter>,
    t: &crate::i18n::Catalog,
) -> Vec<StatusCount> {
    counts
        .into_iter()
        .map(|(filter, count)| StatusCount {
            code: filter.code(),
            label: t.get(match filter {
                StatusFilter::NotConnected => "filter.not_connected",
                StatusFilter::Connected => "filter.connected",
                StatusFilter::ExpiringSoon => "filter.expiring_soon",
                StatusFilter::Expired => "filter.expired",
                StatusFilter::ReconnectNeeded => "filter.reconnect_needed",
                StatusFilter::NoRights => "filter.no_rights",
            }),
            count,
            active: current == Some(filter),
        })
        .collect()
}

/// One page of the user's companies as rows for a table, and the whole list it comes from.
pub struct CompanyTable<'a> {
    pub rows: Vec<TokenRowView<'a>>,
    pub pagination: Pagination,
    pub listing: &'a Listing,
}

impl<'a> CompanyTable<'a> {
    pub fn new(
        listing: &'a Listing,
        query: &ListQuery,
        with_token_only: bool,
        t: &Catalog,
    ) -> CompanyTable<'a> {
        let at = now();
        let (rows, total) = listing.select(&query.to_company_query(with_token_only), at);
        CompanyTable {
            rows: rows
                .into_iter()
                .map(|row| TokenRowView::from_row(row, at, t))
                .collect(),
            pagination: Pagination::new(query.page(), total, query.base_query()),
            listing,
        }
    }

    /// The dashboard's counters: every company of the user, whatever the filter.
    pub fn status_counts(&self) -> Vec<(StatusFilter, i64)> {
        self.listing.status_counts(now())
    }
}

pub async fn show(
    user: CurrentUser,
    page: Page,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let listing = state.listings.of(&state.db, &user.0).await?;
    let table = CompanyTable::new(&listing, &query, false, &page.t);
    html(
        StatusCode::OK,
        &DashboardPage {
            counts: status_counts_view(table.status_counts(), query.status_filter(), &page.t),
            page,
            rows: table.rows,
            pagination: table.pagination,
            search: query.q.clone(),
            status: query.status_filter().map(|s| s.code()).unwrap_or_default(),
            cif: String::new(),
            name: String::new(),
            cif_error: None,
            bulk: String::new(),
            bulk_results: Vec::new(),
        },
    )
}

#[derive(Deserialize)]
pub struct AddCompanyForm {
    #[serde(default)]
    cif: String,
    #[serde(default)]
    name: String,
}

pub async fn add_company(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    form: web::Form<AddCompanyForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let name = form.name.trim().chars().take(200).collect::<String>();
    let cif = match Cif::parse(&form.cif) {
        Ok(cif) => cif,
        Err(problem) => {
            return rerender_with_error(&req, &state, &user, form.cif, name, problem.message_key())
                .await;
        }
    };
    let user_id = user.0.id;
    let new_cif = cif.clone();
    let new_name = Some(name.clone()).filter(|n| !n.is_empty());
    let created = state
        .db
        .run(move |conn| {
            Ok(companies::create_with_admin(
                conn,
                &new_cif,
                new_name.as_deref(),
                user_id,
            ))
        })
        .await?;
    match created {
        Ok(company) => {
            let session = PortalSession::of(&req);
            let t = crate::i18n::Lang::from_request(&req).catalog();
            session.flash(
                FlashLevel::Success,
                t.format("company.added", &[&company.cif]),
            );
            crate::web::access::audit(
                &state,
                crate::web::access::actor(&req, &state, Some(user_id)),
                "company.created",
                Some(company.id),
                None,
                crate::db::models::audit::Outcome::Success,
                Some(format!("CIF {}", company.cif)),
            )
            .await;
            Ok(see_other(&format!("/companies/{}", company.id)))
        }
        Err(CreateCompanyError::CifTaken) => {
            rerender_with_error(&req, &state, &user, form.cif, name, "company.cif_taken").await
        }
        Err(CreateCompanyError::Database(e)) => Err(e.into()),
    }
}

async fn rerender_with_error(
    req: &HttpRequest,
    state: &AppState,
    user: &CurrentUser,
    cif: String,
    name: String,
    error_key: &'static str,
) -> Result<HttpResponse, AppError> {
    let page = Page::build(req).await?;
    let query = ListQuery::default();
    let listing = state.listings.of(&state.db, &user.0).await?;
    let table = CompanyTable::new(&listing, &query, false, &page.t);
    let cif_error = Some(page.t.get(error_key));
    html(
        StatusCode::UNPROCESSABLE_ENTITY,
        &DashboardPage {
            counts: status_counts_view(table.status_counts(), None, &page.t),
            page,
            rows: table.rows,
            pagination: table.pagination,
            search: String::new(),
            status: "",
            cif,
            name,
            cif_error,
            bulk: String::new(),
            bulk_results: Vec::new(),
        },
    )
}

#[derive(Deserialize)]
pub struct BulkForm {
    #[serde(default)]
    cifs: String,
}

/// What happened to one pasted line.
pub struct BulkLine {
    pub input: String,
    pub verdict: String,
    pub ok: bool,
}

/// At most this many lines per paste, so one request stays quick.
const BULK_LIMIT: usize = 500;

/// Adds the companies pasted one CIF per line (an optional name may follow after a comma, a
/// semicolon or a tab); every line gets its own verdict.
pub async fn add_companies_in_bulk(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    form: web::Form<BulkForm>,
) -> Result<HttpResponse, AppError> {
    let page = Page::build(&req).await?;
    let lines: Vec<String> = form
        .cifs
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    if lines.len() > BULK_LIMIT {
        return Err(AppError::BadRequest(format!(
            "at most {BULK_LIMIT} lines at once"
        )));
    }
    let parsed: Vec<(String, Result<Cif, &'static str>, Option<String>)> = lines
        .into_iter()
        .map(|line| {
            let (cif_part, name) = match line.split_once([',', ';', '\t']) {
                Some((cif, name)) => (cif.trim().to_owned(), Some(name.trim().to_owned())),
                None => (line.clone(), None),
            };
            let cif = Cif::parse(&cif_part).map_err(|p| p.message_key());
            (line, cif, name.filter(|n| !n.is_empty()))
        })
        .collect();
    let user_id = user.0.id;
    let to_create: Vec<(usize, Cif, Option<String>)> = parsed
        .iter()
        .enumerate()
        .filter_map(|(i, (_, cif, name))| cif.clone().ok().map(|c| (i, c, name.clone())))
        .collect();
    let created = state
        .db
        .run(move |conn| {
            let mut outcomes = Vec::new();
            for (i, cif, name) in to_create {
                let outcome =
                    match companies::create_with_admin(conn, &cif, name.as_deref(), user_id) {
                        Ok(_) => Ok(()),
                        Err(CreateCompanyError::CifTaken) => Err("bulk.already_there"),
                        Err(CreateCompanyError::Database(e)) => return Err(e.into()),
                    };
                outcomes.push((i, outcome));
            }
            Ok(outcomes)
        })
        .await?;
    let mut added = 0;
    let bulk_results: Vec<BulkLine> = parsed
        .iter()
        .enumerate()
        .map(|(i, (input, cif, _))| {
            let (verdict, ok) = match cif {
                Err(key) => (page.t.get(key).to_owned(), false),
                Ok(cif) => match created.iter().find(|(j, _)| *j == i).map(|(_, o)| o) {
                    Some(Ok(())) => {
                        added += 1;
                        (page.t.format("bulk.added", &[cif]), true)
                    }
                    Some(Err(key)) => (page.t.get(key).to_owned(), false),
                    None => (page.t.get("bulk.duplicate_line").to_owned(), false),
                },
            };
            BulkLine {
                input: input.clone(),
                verdict,
                ok,
            }
        })
        .collect();
    if added > 0 {
        crate::web::access::audit(
            &state,
            crate::web::access::actor(&req, &state, Some(user_id)),
            "company.bulk_created",
            None,
            None,
            crate::db::models::audit::Outcome::Success,
            Some(format!("{added} companies added")),
        )
        .await;
    }
    let query = ListQuery::default();
    let listing = state.listings.of(&state.db, &user.0).await?;
    let table = CompanyTable::new(&listing, &query, false, &page.t);
    html(
        StatusCode::OK,
        &DashboardPage {
            counts: status_counts_view(table.status_counts(), None, &page.t),
            page,
            rows: table.rows,
            pagination: table.pagination,
            search: String::new(),
            status: "",
            cif: String::new(),
            name: String::new(),
            cif_error: None,
            bulk: form.into_inner().cifs,
            bulk_results,
        },
    )
}
