//! A company's members: company admins invite people by email as admin or viewer (the person
//! accepts or declines, see `invitations`), withdraw invitations, change roles and remove
//! members; a company always keeps at least one admin. Every change is audited.

pub mod pages;

use std::collections::HashSet;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::domain::{CompanyId, InvitationId, UserId};
use crate::domain::{Email, MemberRole};
use crate::http::auth::session::FlashLevel;
use crate::http::auth::{CurrentUser, PortalSession};
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::http::web::access::{self, Need};
use crate::http::web::page::{Page, html, see_other};
use crate::http::web::views::ChoosableCompany;
use crate::i18n::Lang;
use crate::services::companies::{Company, MembershipError};
use pages::{InvitationView, InviteManyPage, MembersPage, RemoveMemberPage};

pub async fn list(
    user: CurrentUser,
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<CompanyId>,
) -> Result<HttpResponse, AppError> {
    let (company, role) = access::company(&state, &user.0, path.into_inner(), Need::Member).await?;
    let company_id = company.id;
    let can_manage = role == MemberRole::Admin;
    let t = page.t;
    let members = state.companies.members(company_id).await?;
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
                    role: i.role,
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
    path: web::Path<CompanyId>,
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
    let report = state
        .companies
        .invite(
            &state.actor(&req, Some(user.0.id)),
            vec![company.id],
            email.clone(),
            role,
            user.0.id,
        )
        .await?;
    match report.invited.is_empty() {
        false => session.flash(
            FlashLevel::Success,
            t.format(
                "members-invited",
                &[("email", email.as_str().to_owned().into())],
            ),
        ),
        true => session.flash(FlashLevel::Error, t.get("members-already_member")),
    }
    Ok(see_other(&back))
}

/// The companies a person may invite others to at once: those they administer (an
/// accountant's whole list, at most this many).
const INVITE_MANY_LIMIT: i64 = 5_000;

/// "Give someone access to several companies": the form.
pub async fn invite_many_form(
    user: CurrentUser,
    page: Page,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let companies = administered_by(&state, user.0.id).await?;
    render_invite_many(page, companies, InviteManyForm::default(), StatusCode::OK)
}

/// The companies `user_id` administers, the ones they may invite people to.
async fn administered_by(state: &AppState, user_id: UserId) -> Result<Vec<Company>, AppError> {
    Ok(state
        .companies
        .administered_by(user_id, INVITE_MANY_LIMIT)
        .await?)
}

/// What the many-companies invitation form holds: repeated `company` fields, so read by hand
/// (a serde form cannot hold repeated keys).
#[derive(Default)]
struct InviteManyForm {
    email: String,
    role: String,
    companies: Vec<String>,
    error: Option<String>,
}

impl InviteManyForm {
    fn parse(body: &[u8]) -> InviteManyForm {
        let mut form = InviteManyForm::default();
        for (key, value) in url::form_urlencoded::parse(body) {
            match key.as_ref() {
                "email" => form.email = value.into_owned(),
                "role" => form.role = value.into_owned(),
                "company" => form.companies.push(value.into_owned()),
                _ => {}
            }
        }
        form
    }
}

/// Invites one email, with one role, to every ticked company the caller administers. A
/// company id that is not one of theirs (or not a number) refuses the whole form: nothing is
/// invited.
pub async fn invite_many(
    req: HttpRequest,
    user: CurrentUser,
    page: Page,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let mut form = InviteManyForm::parse(&body);
    let t = &page.t;
    let role = parse_role(&form.role)?;
    let chosen: Vec<CompanyId> = form
        .companies
        .iter()
        .map(|id| id.trim().parse::<CompanyId>())
        .collect::<Result<_, _>>()
        .map_err(|_| AppError::BadRequest("a company id is not a number".into()))?;
    let user_id = user.0.id;
    let companies = administered_by(&state, user_id).await?;
    let administered: HashSet<CompanyId> = companies.iter().map(|c| c.id).collect();
    if chosen.iter().any(|id| !administered.contains(id)) {
        return Err(AppError::NotFound);
    }
    let email = match (Email::parse(&form.email), chosen.is_empty()) {
        (Ok(email), false) => email,
        (parsed, _) => {
            form.error = Some(t.get(match parsed {
                Err(_) => "email-invalid",
                Ok(_) => "members-many_none_chosen",
            }));
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return render_invite_many(page, companies, form, status);
        }
    };
    let mut chosen = chosen;
    chosen.sort_unstable();
    chosen.dedup();
    let report = state
        .companies
        .invite(
            &state.actor(&req, Some(user_id)),
            chosen,
            email.clone(),
            role,
            user_id,
        )
        .await?;
    let mut message = t.format(
        "members-many_invited",
        &[
            ("email", email.as_str().to_owned().into()),
            ("count", report.invited.len().into()),
        ],
    );
    if !report.already_members.is_empty() {
        message.push(' ');
        message.push_str(&t.count(
            "members-many_already",
            "count",
            report.already_members.len() as i64,
        ));
    }
    PortalSession::of(&req).flash(FlashLevel::Success, message);
    Ok(see_other("/members/invite"))
}

fn render_invite_many(
    page: Page,
    companies: Vec<Company>,
    form: InviteManyForm,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    html(
        status,
        &InviteManyPage {
            legend: page
                .t
                .count("members-many_companies", "count", companies.len() as i64),
            companies: ChoosableCompany::list(&companies, &form.companies),
            email: form.email,
            admin: form.role == "admin",
            error: form.error,
            page,
        },
    )
}

/// "Remove ana@firma.ro from Firma SRL?": a removal is confirmed on its own page.
pub async fn confirm_remove(
    user: CurrentUser,
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<(CompanyId, UserId)>,
) -> Result<HttpResponse, AppError> {
    let (company_id, member_id) = path.into_inner();
    let (company, _) = access::company(&state, &user.0, company_id, Need::Admin).await?;
    let member = state
        .companies
        .members(company_id)
        .await?
        .into_iter()
        .find(|m| m.user_id == member_id)
        .ok_or(AppError::NotFound)?;
    let t = &page.t;
    let question = t.format(
        if member_id == user.0.id {
            "members-remove_self_question"
        } else {
            "members-remove_question"
        },
        &[
            ("email", member.email.clone().into()),
            ("company", company.display_name().to_owned().into()),
        ],
    );
    html(
        StatusCode::OK,
        &RemoveMemberPage {
            company_id,
            member_id,
            question,
            page,
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
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(CompanyId, UserId)>,
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
    path: web::Path<(CompanyId, UserId)>,
) -> Result<HttpResponse, AppError> {
    let (company_id, member_id) = path.into_inner();
    change(&req, &user, &state, company_id, member_id, None).await
}

async fn change(
    req: &HttpRequest,
    user: &CurrentUser,
    state: &AppState,
    company_id: CompanyId,
    member_id: UserId,
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
    path: web::Path<(CompanyId, InvitationId)>,
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
