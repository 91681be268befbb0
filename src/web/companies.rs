//! One company's page: its token, the actions on it, and its recent history.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use crate::auth::CurrentUser;
use crate::db::models::{audit, now, tokens};
use crate::error::AppError;
use crate::web::access::{self, Need};
use crate::web::page::{Page, html};
use crate::web::state::AppState;
use crate::web::templates::{CompanyPage, HistoryView};
use crate::web::views::{TokenRowView, date_time};

pub async fn show(
    user: CurrentUser,
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (company, role) = access::company(&state, &user.0, path.into_inner(), Need::Member).await?;
    let company_id = company.id;
    let (token, events) = state
        .db
        .run(move |conn| {
            Ok((
                tokens::find_meta_for_company(conn, company_id)?,
                audit::for_company(conn, company_id, 20)?,
            ))
        })
        .await?;
    let row = TokenRowView::new(&company, role, token.as_ref(), now(), &page.t);
    let history = events
        .into_iter()
        .map(|e| HistoryView {
            at: date_time(e.at),
            action: page.t.get(history_key(&e.action)).to_owned(),
            success: e.outcome == "success",
            detail: e.detail.unwrap_or_default(),
        })
        .collect();
    html(
        StatusCode::OK,
        &CompanyPage {
            page,
            company_name: company.display_name().to_owned(),
            row,
            history,
        },
    )
}

/// The catalog entry naming an audited action.
pub fn history_key(action: &str) -> &'static str {
    match action {
        "company.created" => "history.company_created",
        "connect.started" => "history.connect_started",
        "connect.succeeded" => "history.connect_succeeded",
        "connect.failed" => "history.connect_failed",
        "token.refreshed" => "history.token_refreshed",
        "token.refresh_failed" => "history.token_refresh_failed",
        "token.deleted" => "history.token_deleted",
        "token.revealed" => "history.token_revealed",
        "company.bulk_created" => "history.company_created",
        "member.added" | "member.role_changed" | "member.removed" => "history.members_changed",
        "job.refresh_expiring" => "history.job_started",
        "user.role_changed" | "user.disabled" | "user.enabled" => "history.user_changed",
        "audit.viewed" => "history.audit_viewed",
        "token.saved_via_api" => "history.token_saved_via_api",
        _ => "history.other",
    }
}
