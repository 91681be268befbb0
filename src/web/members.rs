//! A company's members: company admins invite people by email as admin or viewer (the person
//! accepts or declines, see `invitations`), withdraw invitations, change roles and remove
//! members; a company always keeps at least one admin. Every change is audited.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::session::FlashLevel;
use crate::auth::{CurrentUser, PortalSession};
use crate::companies::Invited;
use crate::db::models::companies::{self, MembershipError};
use crate::domain::{Email, MemberRole};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::web::access::{self, Need};
use crate::web::page::{Page, html, see_other};
use crate::web::templates::{InvitationView, MembersPage};

pub async fn list(
    user: CurrentUser,
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (company, role) = access::company(&state, &user.0, path.into_inner(), Need::Member).await?;
    let company_id = company.id;
    let can_manage = role == MemberRole::Admin;
    let t = page.t;
    let members = state
        .db
        .run(move |conn| Ok(companies::members(conn, company_id)?))
        .await?;
    let invitations = match can_manage {
        true => state.companies.pending_invitations(company_id).await?,
        false => Vec::new(),
    };
    html(
        StatusCode::OK,
        &MembersPage {
            page,
            company_id,
            company_name: company.display_name().to_owned(),
            can_manage,
            members,
            invitations: invitations
                .into_iter()
                .map(|i| InvitationView {
                    id: i.id,
                    email: i.email,
                    admin: i.role == MemberRole::Admin,
                    invited_at: t.local_date_time(i.created_at),
                })
                .collect(),
            me: user.0.id,
        },
    )
}

#[derive(Deserialize)]
pub struct AddMemberForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

fn parse_role(raw: &str) -> Result<MemberRole, AppError> {
    raw.parse()
        .map_err(|_| AppError::BadRequest(format!("'{raw}' is not a company role")))
}

/// Invites an email. The answer is the same whether or not the email has an account.
pub async fn invite(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<AddMemberForm>,
) -> Result<HttpResponse, AppError> {
    let (company, _) = access::company(&state, &user.0, path.into_inner(), Need::Admin).await?;
    let role = parse_role(&form.role)?;
    let t = Lang::from_request(&req).catalog();
    let session = PortalSession::of(&req);
    let back = format!("/companies/{}/members", company.id);
    let Ok(email) = Email::parse(&form.email) else {
        session.flash(FlashLevel::Error, t.get("email-invalid"));
        return Ok(see_other(&back));
    };
    let invited = state
        .companies
        .invite(
            &state.actor(&req, Some(user.0.id)),
            company.id,
            email.clone(),
            role,
            user.0.id,
        )
        .await?;
    match invited {
        Invited::Pending => session.flash(
            FlashLevel::Success,
            t.format(
                "members-invited",
                &[("email", email.as_str().to_owned().into())],
            ),
        ),
        Invited::AlreadyMember => session.flash(FlashLevel::Error, t.get("members-already_member")),
    }
    Ok(see_other(&back))
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

pub async fn change_role(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    form: web::Form<RoleForm>,
) -> Result<HttpResponse, AppError> {
    let (company_id, member_id) = path.into_inner();
    let role = parse_role(&form.role)?;
    change(&req, &user, &state, company_id, member_id, Some(role)).await
}

pub async fn remove(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (company_id, member_id) = path.into_inner();
    change(&req, &user, &state, company_id, member_id, None).await
}

async fn change(
    req: &HttpRequest,
    user: &CurrentUser,
    state: &AppState,
    company_id: i64,
    member_id: i64,
    role: Option<MemberRole>,
) -> Result<HttpResponse, AppError> {
    let (company, _) = access::company(state, &user.0, company_id, Need::Admin).await?;
    let result = state
        .companies
        .change_member(
            &state.actor(req, Some(user.0.id)),
            company.id,
            member_id,
            role,
        )
        .await?;
    let t = Lang::from_request(req).catalog();
    let session = PortalSession::of(req);
    match result {
        Ok(()) => session.flash(FlashLevel::Success, t.get("members-changed")),
        Err(MembershipError::LastAdmin) => {
            session.flash(FlashLevel::Error, t.get("members-last_admin"));
        }
        Err(MembershipError::NotMember) => return Err(AppError::NotFound),
        Err(MembershipError::Database(e)) => return Err(e.into()),
    }
    // Whoever removed themselves can no longer see the company.
    if role.is_none() && member_id == user.0.id {
        return Ok(see_other("/"));
    }
    Ok(see_other(&format!("/companies/{company_id}/members")))
}

/// A company admin withdraws a pending invitation.
pub async fn cancel_invitation(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (company_id, invitation_id) = path.into_inner();
    let (company, _) = access::company(&state, &user.0, company_id, Need::Admin).await?;
    let cancelled = state
        .companies
        .cancel_invitation(
            &state.actor(&req, Some(user.0.id)),
            company.id,
            invitation_id,
        )
        .await?;
    let t = Lang::from_request(&req).catalog();
    match cancelled {
        true => PortalSession::of(&req).flash(FlashLevel::Success, t.get("invitations-cancelled")),
        false => PortalSession::of(&req).flash(FlashLevel::Error, t.get("invitations-gone")),
    }
    Ok(see_other(&format!("/companies/{}/members", company.id)))
}
