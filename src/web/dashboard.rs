//! The start page: my companies with their token status, and adding a company.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::auth::PortalSession;
use crate::auth::session::FlashLevel;
use crate::db::models::companies::{self, CompanyQuery, CreateCompanyError};
use crate::db::models::now;
use crate::domain::Cif;
use crate::error::AppError;
use crate::web::page::{Page, html, see_other};
use crate::web::state::AppState;
use crate::web::templates::DashboardPage;
use crate::web::views::{PAGE_SIZE, Pagination, TokenRowView};

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub page: Option<String>,
}

impl ListQuery {
    pub fn page(&self) -> i64 {
        self.page
            .as_deref()
            .and_then(|p| p.parse::<i64>().ok())
            .filter(|p| *p >= 1 && *p < 1_000_000)
            .unwrap_or(1)
    }

    pub fn base_query(&self) -> String {
        if self.q.trim().is_empty() {
            String::new()
        } else {
            format!(
                "q={}",
                url::form_urlencoded::byte_serialize(self.q.trim().as_bytes()).collect::<String>()
            )
        }
    }
}

/// Loads one page of the user's companies as rows for a table.
pub async fn company_rows(
    state: &AppState,
    user_id: i64,
    query: &ListQuery,
    with_token_only: bool,
    page: &Page,
) -> Result<(Vec<TokenRowView>, Pagination), AppError> {
    let filter = CompanyQuery {
        search: Some(query.q.clone()).filter(|q| !q.trim().is_empty()),
        with_token_only,
        offset: Pagination::offset(query.page()),
        limit: PAGE_SIZE,
    };
    let (rows, total) = state
        .db
        .run(move |conn| Ok(companies::list_for_user(conn, user_id, &filter)?))
        .await?;
    let at = now();
    let views = rows
        .iter()
        .map(|row| TokenRowView::from_row(row, at, &page.t))
        .collect();
    Ok((
        views,
        Pagination::new(query.page(), total, query.base_query()),
    ))
}

pub async fn show(
    user: CurrentUser,
    page: Page,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let (rows, pagination) = company_rows(&state, user.0.id, &query, false, &page).await?;
    html(
        StatusCode::OK,
        &DashboardPage {
            page,
            rows,
            pagination,
            search: query.q.clone(),
            cif: String::new(),
            name: String::new(),
            cif_error: None,
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
    let (rows, pagination) = company_rows(state, user.0.id, &query, false, &page).await?;
    let cif_error = Some(page.t.get(error_key));
    html(
        StatusCode::UNPROCESSABLE_ENTITY,
        &DashboardPage {
            page,
            rows,
            pagination,
            search: String::new(),
            cif,
            name,
            cif_error,
        },
    )
}
