//! Platform administration: users (search, platform role, disable/enable) and the audit log.

pub mod pages;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde::Deserialize;

use crate::domain::{Outcome, Role, UserId};
use crate::http::auth::session::FlashLevel;
use crate::http::auth::{PlatformAdmin, PortalSession};
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::http::web::page::{Page, html, no_referrer, see_other};
use crate::http::web::views::history_key;
use crate::http::web::views::{PAGE_SIZE, Pagination, history_detail};
use crate::i18n::Lang;
use crate::services::accounts::admin::AdminChangeError;
use crate::services::accounts::recovery::AdminLink;
use crate::services::audit::AuditFilter;
use pages::{AuditLogPage, AuditView, ResetLinkPage, UserView, UsersPage};

#[derive(Deserialize)]
pub struct UsersQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: Option<String>,
}

pub async fn users(
    admin: PlatformAdmin,
    page: Page,
    state: web::Data<AppState>,
    query: web::Query<UsersQuery>,
) -> Result<HttpResponse, AppError> {
    let number = Pagination::parse_page(query.page.as_deref());
    let search = query.q.clone();
    let (rows, total) = state
        .accounts
        .list_users(search, Pagination::offset(number, PAGE_SIZE), PAGE_SIZE)
        .await?;
    let base_query = if query.q.trim().is_empty() {
        String::new()
    } else {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("q", query.q.trim())
            .finish()
    };
    let users = rows
        .into_iter()
        .map(|u| UserView {
            is_me: u.id == admin.0.id,
            id: u.id,
            role: u.role.as_str(),
            disabled: u.is_disabled(),
            verified: u.is_verified(),
            created: page.t.local_date_time(u.created_at),
            email: u.email,
        })
        .collect();
    html(
        StatusCode::OK,
        &UsersPage {
            page,
            users,
            pagination: Pagination::new(number, total, base_query),
            search: query.q.clone(),
            keep: Vec::new(),
        },
    )
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

pub async fn change_role(
    req: HttpRequest,
    admin: PlatformAdmin,
    state: web::Data<AppState>,
    path: web::Path<UserId>,
    form: web::Form<RoleForm>,
) -> Result<HttpResponse, AppError> {
    let role: Role = form.role.parse().map_err(AppError::BadRequest)?;
    apply(&req, &admin, &state, path.into_inner(), Some(role), None).await
}

pub async fn disable(
    req: HttpRequest,
    admin: PlatformAdmin,
    state: web::Data<AppState>,
    path: web::Path<UserId>,
) -> Result<HttpResponse, AppError> {
    apply(&req, &admin, &state, path.into_inner(), None, Some(true)).await
}

pub async fn enable(
    req: HttpRequest,
    admin: PlatformAdmin,
    state: web::Data<AppState>,
    path: web::Path<UserId>,
) -> Result<HttpResponse, AppError> {
    apply(&req, &admin, &state, path.into_inner(), None, Some(false)).await
}

/// The platform admin vouches for an account's email (a portal without SMTP, or on request).
pub async fn verify(
    req: HttpRequest,
    admin: PlatformAdmin,
    state: web::Data<AppState>,
    path: web::Path<UserId>,
) -> Result<HttpResponse, AppError> {
    let actor = state.actor(&req, Some(admin.0.id));
    if !state
        .accounts
        .verify_by_admin(&actor, path.into_inner())
        .await?
    {
        return Err(AppError::NotFound);
    }
    let t = Lang::from_request(&req).catalog();
    PortalSession::of(&req).flash(FlashLevel::Success, t.get("admin-verified_done"));
    Ok(see_other("/admin/users"))
}

/// Issues a one-time password reset link for the account, shown on this page only, to hand
/// over where the portal sends no mail (or the owner cannot read it). Audited.
pub async fn reset_link(
    req: HttpRequest,
    admin: PlatformAdmin,
    state: web::Data<AppState>,
    path: web::Path<UserId>,
) -> Result<HttpResponse, AppError> {
    let actor = state.actor(&req, Some(admin.0.id));
    let issued = state
        .accounts
        .issue_reset_link(&actor, path.into_inner())
        .await?;
    let (user, link) = match issued {
        AdminLink::Issued { user, path } => (user, path),
        AdminLink::Disabled => {
            let t = Lang::from_request(&req).catalog();
            PortalSession::of(&req).flash(FlashLevel::Error, t.get("admin-reset_link_disabled"));
            return Ok(see_other("/admin/users"));
        }
        AdminLink::NotFound => return Err(AppError::NotFound),
    };
    tracing::info!(
        user_id = %user.id,
        "a platform admin issued a password reset link"
    );
    let url = state
        .base_url
        .join(&link)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("reset link: {e}")))?
        .to_string();
    let page = Page::build(&req).await?;
    let intro = page.t.format(
        "admin-reset_link_intro",
        &[("email", user.email.clone().into())],
    );
    Ok(no_referrer(html(
        StatusCode::OK,
        &ResetLinkPage { page, intro, url },
    )?))
}

/// Ends every session of the account (a lost laptop, a suspected break-in). Audited.
pub async fn end_sessions(
    req: HttpRequest,
    admin: PlatformAdmin,
    state: web::Data<AppState>,
    path: web::Path<UserId>,
) -> Result<HttpResponse, AppError> {
    let actor = state.actor(&req, Some(admin.0.id));
    let Some((user, ended)) = state
        .accounts
        .end_all_sessions(&actor, path.into_inner())
        .await?
    else {
        return Err(AppError::NotFound);
    };
    let t = Lang::from_request(&req).catalog();
    let text = t.format(
        "admin-sessions_ended",
        &[
            ("email", user.email.into()),
            ("count", (ended as i64).into()),
        ],
    );
    PortalSession::of(&req).flash(FlashLevel::Success, text);
    if user.id == admin.0.id {
        // Their own sessions, this one too.
        return Ok(see_other("/login?ended=logout"));
    }
    Ok(see_other("/admin/users"))
}

async fn apply(
    req: &HttpRequest,
    admin: &PlatformAdmin,
    state: &AppState,
    user_id: UserId,
    role: Option<Role>,
    disabled: Option<bool>,
) -> Result<HttpResponse, AppError> {
    let result = state
        .accounts
        .change_by_admin(&state.actor(req, Some(admin.0.id)), user_id, role, disabled)
        .await?;
    let t = Lang::from_request(req).catalog();
    let session = PortalSession::of(req);
    match result {
        Ok(user) => {
            session.flash(
                FlashLevel::Success,
                t.format("admin-user_changed", &[("email", user.email.into())]),
            );
        }
        Err(AdminChangeError::LastAdmin) => {
            session.flash(FlashLevel::Error, t.get("admin-last_admin"));
        }
        Err(AdminChangeError::NotFound) => return Err(AppError::NotFound),
        Err(AdminChangeError::Database(e)) => return Err(e.into()),
    }
    Ok(see_other("/admin/users"))
}

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub company: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub until: String,
    #[serde(default)]
    pub page: Option<String>,
}

fn day_start(raw: &str) -> Option<NaiveDateTime> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .ok()
        .map(|d| d.and_time(NaiveTime::MIN))
}

pub async fn audit_log(
    req: HttpRequest,
    admin: PlatformAdmin,
    page: Page,
    state: web::Data<AppState>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    let number = Pagination::parse_page(query.page.as_deref());
    let filter = AuditFilter {
        actor: Some(query.actor.clone()),
        company_cif: Some(query.company.clone()),
        action: Some(query.action.clone()),
        outcome: match query.outcome.as_str() {
            "success" => Some(Outcome::Success),
            "failure" => Some(Outcome::Failure),
            _ => None,
        },
        from: day_start(&query.from),
        until: day_start(&query.until).map(|d| d + chrono::TimeDelta::days(1)),
        offset: Pagination::offset(number, PAGE_SIZE),
        limit: PAGE_SIZE,
        ..AuditFilter::default()
    };
    // Looking at the audit log is itself audited.
    let (rows, total) = state
        .tokens
        .audit()
        .search(&state.actor(&req, Some(admin.0.id)), filter)
        .await?;
    let mut base = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in [
        ("actor", &query.actor),
        ("company", &query.company),
        ("action", &query.action),
        ("outcome", &query.outcome),
        ("from", &query.from),
        ("until", &query.until),
    ] {
        if !value.trim().is_empty() {
            base.append_pair(name, value.trim());
        }
    }
    let events = rows
        .into_iter()
        .map(|r| AuditView {
            at: page.t.local_date_time(r.event.at),
            actor: r.actor_email.unwrap_or_else(|| "—".to_owned()),
            action: r.event.action.clone(),
            label: page.t.get(history_key(&r.event.action)),
            company_id: r.event.company_id,
            token_id: r.event.token_id,
            success: r.event.outcome == "success",
            ip: r.event.ip.unwrap_or_default(),
            detail: history_detail(&r.event.action, r.event.detail.as_deref(), &page.t),
        })
        .collect();
    html(
        StatusCode::OK,
        &AuditLogPage {
            page,
            events,
            pagination: Pagination::new(number, total, base.finish()),
            query: query.into_inner(),
        },
    )
}
