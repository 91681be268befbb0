//! The support area: every company and token on the platform, read-only, never a secret. Its
//! queries select `TokenMeta`, which has no ciphertext column. A CIF can be in several people's
//! lists, each its own record: rows name their company admins, and a record's page lists the
//! other records of its CIF.

pub mod lifecycle;
pub mod pages;

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use crate::domain::{CompanyId, MemberRole};
use crate::http::auth::SupportStaff;
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::http::web::company_list::{ListQuery, status_counts_view};
use crate::http::web::diagnosis::DiagnosisView;
use crate::http::web::page::{Page, html};
use crate::http::web::views::HistoryView;
use crate::http::web::views::history_key;
use crate::http::web::views::{TokenRowView, history_detail};
use crate::services::companies::{SupportCompany, SupportListing};
use crate::services::now;
use pages::{SupportCompanyPage, SupportPage, SupportRecord, SupportRow};

pub async fn overview(
    _staff: SupportStaff,
    page: Page,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let filter = query.to_company_query(false);
    let SupportListing {
        rows,
        total,
        counts,
        admins,
    } = state.companies.support_listing(filter).await?;
    let admins = emails_by_company(admins);
    let at = now();
    // Support staff act on nothing: every row is read-only.
    let rows = rows
        .iter()
        .map(|(company, token)| SupportRow {
            row: TokenRowView::new(company, MemberRole::Viewer, token.as_ref(), at, &page.t),
            admins: admins.get(&company.id).cloned().unwrap_or_default(),
        })
        .collect();
    html(
        StatusCode::OK,
        &SupportPage {
            counts: status_counts_view(counts, &query, "/support", &page.t),
            all_href: query.with_status("/support", None),
            page,
            rows,
            pagination: query.pagination(total),
            search: query.q.clone(),
            status: query.status_filter().map(|s| s.code()).unwrap_or_default(),
            keep: query.kept_by_search(),
        },
    )
}

pub async fn company(
    _staff: SupportStaff,
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<CompanyId>,
) -> Result<HttpResponse, AppError> {
    let company_id = path.into_inner();
    let SupportCompany {
        company,
        token,
        members,
        same_cif: others,
        same_cif_admins,
        events,
    } = state
        .companies
        .support_company(company_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let admins = emails_by_company(same_cif_admins);
    let same_cif: Vec<SupportRecord> = others
        .iter()
        .map(|other| SupportRecord {
            company_id: other.id,
            name: other.display_name().to_owned(),
            admins: admins.get(&other.id).cloned().unwrap_or_default(),
        })
        .collect();
    let at = now();
    let row = TokenRowView::new(&company, MemberRole::Viewer, token.as_ref(), at, &page.t);
    let diagnosis = DiagnosisView::of(token.as_ref(), at, &page.t);
    let history = events
        .into_iter()
        .map(|r| HistoryView {
            at: page.t.local_date_time(r.event.at),
            action: format!(
                "{}{}",
                page.t.get(history_key(&r.event.action)),
                r.actor_email.map(|e| format!(" ({e})")).unwrap_or_default()
            ),
            success: r.event.outcome == "success",
            detail: history_detail(&r.event.action, r.event.detail.as_deref(), &page.t),
        })
        .collect();
    let efactura = crate::http::web::companies::efactura::EfacturaUsageView::load(
        &state,
        &company.cif,
        &page.t,
    )
    .await;
    html(
        StatusCode::OK,
        &SupportCompanyPage {
            efactura,
            page,
            company_name: company.display_name().to_owned(),
            row,
            diagnosis,
            members,
            same_cif,
            history,
        },
    )
}

/// (company id, email) pairs as one comma-separated list of emails per company.
fn emails_by_company(pairs: Vec<(CompanyId, String)>) -> HashMap<CompanyId, String> {
    let mut by_company: HashMap<CompanyId, String> = HashMap::new();
    for (company_id, email) in pairs {
        let list = by_company.entry(company_id).or_default();
        if !list.is_empty() {
            list.push_str(", ");
        }
        list.push_str(&email);
    }
    by_company
}
