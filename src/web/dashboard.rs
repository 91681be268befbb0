//! The start page: my companies with their token status, and adding a company.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::auth::PortalSession;
use crate::auth::session::FlashLevel;
use crate::companies::{BulkError, BulkReport, LineVerdict};
use crate::db::models::companies::{
    self, CompanyQuery, CompanyRow, CreateCompanyError, StatusCounts, StatusFilter,
};
use crate::db::models::invitations::ReceivedInvitation;
use crate::db::models::now;
use crate::db::models::users::User;
use crate::domain::{Cif, MemberRole};
use crate::error::AppError;
use crate::i18n::Catalog;
use crate::web::page::{Page, html, see_other};
use crate::web::templates::{DashboardPage, ReceivedInvitationView};
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
    pub label: String,
    pub count: i64,
    pub active: bool,
}

pub fn status_counts_view(
    counts: StatusCounts,
    current: Option<StatusFilter>,
    t: &Catalog,
) -> Vec<StatusCount> {
    counts
        .into_iter()
        .map(|(filter, count)| StatusCount {
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
    /// Every company of the user, whatever the filter (the dashboard's counters).
    pub counts: StatusCounts,
}

impl MemberPage {
    /// Two indexed queries (three with the dashboard's counters), whatever the number of
    /// companies or the page.
    pub async fn load(
        state: &AppState,
        user_id: i64,
        query: &ListQuery,
        list: MemberList,
    ) -> Result<MemberPage, AppError> {
        let filter = query.to_company_query(list == MemberList::TokenTable);
        Ok(state
            .db
            .run(move |conn| {
                let (rows, total) = companies::page_for_member(conn, user_id, &filter)?;
                let counts = match list {
                    MemberList::Dashboard => companies::status_counts_for_member(conn, user_id)?,
                    MemberList::TokenTable => StatusCounts::new(),
                };
                Ok(MemberPage {
                    rows,
                    total,
                    counts,
                })
            })
            .await?)
    }

    pub fn rows<'a>(&'a self, t: &Catalog) -> Vec<TokenRowView<'a>> {
        let at = now();
        self.rows
            .iter()
            .map(|row| TokenRowView::from_row(row, at, t))
            .collect()
    }
}

/// What the dashboard's forms show besides the list: the add-company form refilled after an
/// error, and the verdicts of a paste.
#[derive(Default)]
struct Forms {
    cif: String,
    name: String,
    cif_error: Option<String>,
    bulk: String,
    bulk_results: Vec<BulkLineView>,
    bulk_summary: Option<String>,
}

/// What a paste did, kept in the session from the POST to the dashboard it redirects to.
#[derive(serde::Serialize, Deserialize)]
struct BulkOutcome {
    added: usize,
    /// Only the lines that were not added, with why.
    rejected: Vec<BulkLineView>,
}

const BULK_OUTCOME: &str = "bulk_outcome";

impl BulkOutcome {
    /// The paste's box keeps only the rejected lines, under "27 added · 3 rejected".
    fn into_forms(self, t: &Catalog) -> Forms {
        Forms {
            bulk: self
                .rejected
                .iter()
                .map(|line| line.input.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
            bulk_summary: Some(t.format(
                "bulk-summary",
                &[
                    ("added", self.added.into()),
                    ("rejected", self.rejected.len().into()),
                ],
            )),
            bulk_results: self.rejected,
            ..Forms::default()
        }
    }
}

async fn dashboard(
    page: Page,
    state: &AppState,
    user: &User,
    query: &ListQuery,
    status: StatusCode,
    forms: Forms,
) -> Result<HttpResponse, AppError> {
    let list = MemberPage::load(state, user.id, query, MemberList::Dashboard).await?;
    let invitations = state
        .companies
        .invitations_for(&user.email)
        .await?
        .into_iter()
        .map(|received| received_invitation_view(received, &page.t))
        .collect();
    html(
        status,
        &DashboardPage {
            counts: status_counts_view(list.counts.clone(), query.status_filter(), &page.t),
            rows: list.rows(&page.t),
            pagination: Pagination::new(query.page(), list.total, query.base_query()),
            search: query.q.clone(),
            status: query.status_filter().map(|s| s.code()).unwrap_or_default(),
            cif: forms.cif,
            name: forms.name,
            cif_error: forms.cif_error,
            bulk: forms.bulk,
            bulk_results: forms.bulk_results,
            bulk_summary: forms.bulk_summary,
            invitations,
            page,
        },
    )
}

fn received_invitation_view(received: ReceivedInvitation, t: &Catalog) -> ReceivedInvitationView {
    let role = match received.invitation.role {
        MemberRole::Admin => t.get("members-role_admin"),
        MemberRole::Viewer => t.get("members-role_viewer"),
    };
    let mut args: Vec<(&'static str, fluent_bundle::FluentValue<'static>)> = vec![
        ("company", received.company.display_name().to_owned().into()),
        ("cif", received.company.cif.to_string().into()),
        ("role", role.into()),
    ];
    let text = match received.invited_by {
        Some(inviter) => {
            args.push(("inviter", inviter.into()));
            t.format("invitations-offer", &args)
        }
        None => t.format("invitations-offer_anonymous", &args),
    };
    ReceivedInvitationView {
        id: received.invitation.id,
        text,
    }
}

pub async fn show(
    req: HttpRequest,
    user: CurrentUser,
    page: Page,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let forms = PortalSession::of(&req)
        .take::<BulkOutcome>(BULK_OUTCOME)
        .map(|outcome| outcome.into_forms(&page.t))
        .unwrap_or_default();
    dashboard(page, &state, &user.0, &query, StatusCode::OK, forms).await
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
    let refill = |error_id: &str, page: &Page| Forms {
        cif_error: Some(page.t.get(error_id)),
        cif: form.cif.clone(),
        name: form.name.clone(),
        ..Forms::default()
    };
    let cif = match Cif::parse(&form.cif) {
        Ok(cif) => cif,
        Err(problem) => {
            let page = Page::build(&req).await?;
            let forms = refill(problem.message_key(), &page);
            return dashboard(
                page,
                &state,
                &user.0,
                &ListQuery::default(),
                StatusCode::UNPROCESSABLE_ENTITY,
                forms,
            )
            .await;
        }
    };
    let actor = state.actor(&req, Some(user.0.id));
    match state
        .companies
        .create(&actor, user.0.id, cif, &form.name)
        .await?
    {
        Ok(company) => {
            let t = crate::i18n::Lang::from_request(&req).catalog();
            PortalSession::of(&req).flash(
                FlashLevel::Success,
                t.format("company-added", &[("cif", company.cif.to_string().into())]),
            );
            Ok(see_other(&format!("/companies/{}", company.id)))
        }
        Err(CreateCompanyError::AlreadyInYourList) => {
            let page = Page::build(&req).await?;
            let forms = refill("company-already_yours", &page);
            dashboard(
                page,
                &state,
                &user.0,
                &ListQuery::default(),
                StatusCode::UNPROCESSABLE_ENTITY,
                forms,
            )
            .await
        }
        Err(CreateCompanyError::Database(e)) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct BulkForm {
    #[serde(default)]
    cifs: String,
}

/// A pasted line that was not added, and why.
#[derive(serde::Serialize, Deserialize)]
pub struct BulkLineView {
    pub input: String,
    pub verdict: String,
}

fn bulk_outcome(report: BulkReport, t: &Catalog) -> BulkOutcome {
    let mut outcome = BulkOutcome {
        added: 0,
        rejected: Vec::new(),
    };
    for line in report.lines {
        let verdict = match &line.verdict {
            LineVerdict::Added(_) => {
                outcome.added += 1;
                continue;
            }
            LineVerdict::Invalid(problem) => t.get(problem.message_key()),
            LineVerdict::DuplicateLine(_) => t.get("bulk-duplicate_line"),
            LineVerdict::AlreadyInYourList(_) => t.get("bulk-already_yours"),
        };
        outcome.rejected.push(BulkLineView {
            input: line.input,
            verdict,
        });
    }
    outcome
}

/// Adds the companies pasted one CIF per line (an optional name may follow after a comma, a
/// semicolon or a tab); every line gets its own verdict.
pub async fn add_companies_in_bulk(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    form: web::Form<BulkForm>,
) -> Result<HttpResponse, AppError> {
    let actor = state.actor(&req, Some(user.0.id));
    let report = match state
        .companies
        .bulk_import(&actor, user.0.id, &form.cifs)
        .await
    {
        Ok(report) => report,
        Err(error @ BulkError::TooManyLines) => {
            return Err(AppError::BadRequest(error.to_string()));
        }
        Err(BulkError::Storage(e)) => return Err(e.into()),
    };
    let t = crate::i18n::Lang::from_request(&req).catalog();
    PortalSession::of(&req).insert(BULK_OUTCOME, &bulk_outcome(report, &t))?;
    Ok(see_other("/#bulk"))
}
