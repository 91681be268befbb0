//! One company's page: its token, the actions on it, and its recent history.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::db::models::{audit, now, tokens};
use crate::domain::AuditAction;
use crate::error::AppError;
use crate::web::access::{self, Need};
use crate::web::diagnosis::DiagnosisView;
use crate::web::page::{Page, html};
use crate::web::templates::{CompanyPage, HistoryView};
use crate::web::views::{TokenRowView, history_detail};

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
    let at = now();
    let row = TokenRowView::new(&company, role, token.as_ref(), at, &page.t);
    let diagnosis = DiagnosisView::of(token.as_ref(), at, &page.t);
    let history = events
        .into_iter()
        .map(|e| HistoryView {
            at: page.t.local_date_time(e.at),
            action: page.t.get(history_key(&e.action)),
            success: e.outcome == "success",
            detail: history_detail(&e.action, e.detail.as_deref(), &page.t),
        })
        .collect();
    html(
        StatusCode::OK,
        &CompanyPage {
            page,
            company_name: company.display_name().to_owned(),
            row,
            diagnosis,
            history,
        },
    )
}

/// The message naming an audited action (stored by name; one this version does not know is
/// "other").
pub fn history_key(action: &str) -> &'static str {
    match AuditAction::parse(action) {
        Some(AuditAction::CompanyCreated | AuditAction::CompaniesBulkCreated) => {
            "history-company_created"
        }
        Some(AuditAction::ConnectStarted) => "history-connect_started",
        Some(AuditAction::ConnectSucceeded) => "history-connect_succeeded",
        Some(AuditAction::ConnectFailed) => "history-connect_failed",
        Some(AuditAction::TokenRefreshed) => "history-token_refreshed",
        Some(AuditAction::TokenRefreshFailed) => "history-token_refresh_failed",
        Some(AuditAction::TokenDeleted) => "history-token_deleted",
        Some(AuditAction::TokenRevealed) => "history-token_revealed",
        Some(AuditAction::TokenSavedViaApi) => "history-token_saved_via_api",
        Some(
            AuditAction::MemberAdded
            | AuditAction::MemberRoleChanged
            | AuditAction::MemberRemoved
            | AuditAction::MemberInvited
            | AuditAction::InvitationDeclined
            | AuditAction::InvitationCancelled,
        ) => "history-members_changed",
        Some(AuditAction::RefreshJobStarted) => "history-job_started",
        Some(
            AuditAction::UserRoleChanged | AuditAction::UserDisabled | AuditAction::UserEnabled,
        ) => "history-user_changed",
        Some(AuditAction::AuditViewed) => "history-audit_viewed",
        Some(
            AuditAction::WebhookCreated
            | AuditAction::WebhookDeleted
            | AuditAction::WebhookEnabled
            | AuditAction::WebhookRedelivered,
        ) => "history-webhooks_changed",
        Some(AuditAction::ApiKeyCreated | AuditAction::ApiKeyRevoked) | None => "history-other",
    }
}
