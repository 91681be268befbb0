//! Administration → Two-factor policy: who must use two-factor (platform admins, support staff,
//! company admins). Stored in the database, audited.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::domain::two_factor::TwoFactorPolicy;
use crate::http::auth::session::FlashLevel;
use crate::http::auth::{PlatformAdmin, PortalSession};
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::http::web::page::{Page, html, see_other};
use crate::http::web::security::pages::PolicyPage;

pub const PATH: &str = "/admin/security";

pub async fn show(
    _admin: PlatformAdmin,
    page: Page,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let policy = state.two_factor.policy().await?;
    html(
        StatusCode::OK,
        &PolicyPage {
            page,
            platform_admins: policy.platform_admins,
            support_staff: policy.support_staff,
            company_admins: policy.company_admins,
        },
    )
}

/// Checkboxes: a field is there (any value) when ticked.
#[derive(Deserialize)]
pub struct PolicyForm {
    platform_admins: Option<String>,
    support_staff: Option<String>,
    company_admins: Option<String>,
}

pub async fn save(
    req: HttpRequest,
    admin: PlatformAdmin,
    state: web::Data<AppState>,
    form: web::Form<PolicyForm>,
) -> Result<HttpResponse, AppError> {
    let policy = TwoFactorPolicy {
        platform_admins: form.platform_admins.is_some(),
        support_staff: form.support_staff.is_some(),
        company_admins: form.company_admins.is_some(),
    };
    let actor = state.actor(&req, Some(admin.0.id));
    state.two_factor.set_policy(&actor, policy).await?;
    let t = crate::i18n::Lang::from_request(&req).catalog();
    PortalSession::of(&req).flash(FlashLevel::Success, t.get("policy-saved"));
    Ok(see_other(PATH))
}
