//! A company's members: company admins add existing users as admin or viewer, change roles,
//! remove members; a company always keeps at least one admin. Every change is audited.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::auth::session::FlashLevel;
use crate::auth::{CurrentUser, PortalSession};
use crate::db::models::audit::Outcome;
use crate::db::models::companies::{self, MemberRole, MembershipError};
use crate::db::models::users;
use crate::domain::Email;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::web::access::{self, Need};
use crate::web::page::{Page, html, see_other};
use crate::web::state::AppState;
use crate::web::templates::MembersPage;

pub async fn list(
    user: CurrentUser,
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (company, role) = access::company(&state, &user.0, path.into_inner(), Need::Member).await?;
    let company_id = company.id;
    let members = state
        .db
        .run(move |conn| Ok(companies::members(conn, company_id)?))
        .await?;
    html(
        StatusCode::OK,
        &MembersPage {
            page,
            company_id,
            company_name: company.display_name().to_owned(),
            can_manage: role == MemberRole::Admin,
            members,
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
    MemberRole::parse(raw.trim())
        .ok_or_else(|| AppError::BadRequest(format!("'{raw}' is not a company role")))
}

pub async fn add(
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
        session.flash(FlashLevel::Error, t.get("email.invalid"));
        return Ok(see_other(&back));
    };
    let company_id = company.id;
    let lookup = email.clone();
    let result = state
        .db
        .run(move |conn| {
            let Some(member) = users::find_by_email(conn, &lookup)? else {
                return Ok(Err("members.no_such_user"));
            };
            Ok(
                match companies::add_member(conn, company_id, member.id, role) {
                    Ok(()) => Ok(member.id),
                    Err(MembershipError::AlreadyMember) => Err("members.already_member"),
                    Err(MembershipError::Database(e)) => return Err(e.into()),
                    Err(_) => Err("members.no_such_user"),
                },
            )
        })
        .await?;
    match result {
        Ok(member_id) => {
            access::audit(
                &state,
                access::actor(&req, &state, Some(user.0.id)),
                "member.added",
                Some(company_id),
                None,
                Outcome::Success,
                Some(format!("user {member_id} as {}", role.as_str())),
            )
            .await;
            session.flash(FlashLevel::Success, t.format("members.added", &[&email]));
        }
        Err(key) => session.flash(FlashLevel::Error, t.get(key)),
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
        .db
        .run(move |conn| Ok(companies::change_member(conn, company_id, member_id, role)))
        .await?;
    let t = Lang::from_request(req).catalog();
    let session = PortalSession::of(req);
    match result {
        Ok(()) => {
            access::audit(
                state,
                access::actor(req, state, Some(user.0.id)),
                if role.is_some() {
                    "member.role_changed"
                } else {
                    "member.removed"
                },
                Some(company.id),
                None,
                Outcome::Success,
                Some(match role {
                    Some(role) => format!("user {member_id} is now {}", role.as_str()),
                    None => format!("user {member_id} removed"),
                }),
            )
            .await;
            session.flash(FlashLevel::Success, t.get("members.changed"));
        }
        Err(MembershipError::LastAdmin) => {
            session.flash(FlashLevel::Error, t.get("members.last_admin"));
        }
        Err(MembershipError::NotMember) => return Err(AppError::NotFound),
        Err(MembershipError::AlreadyMember) => {}
        Err(MembershipError::Database(e)) => return Err(e.into()),
    }
    // Whoever removed themselves can no longer see the company.
    if role.is_none() && member_id == user.0.id {
        return Ok(see_other("/"));
    }
    Ok(see_other(&format!("/companies/{company_id}/members")))
}
