//! A company's members, inviting several companies' members at once, removing one.

use askama::Template;

use crate::domain::{CompanyId, InvitationId, UserId};
use crate::http::web::page::Page;
use crate::http::web::views::ChoosableCompany;

#[derive(Template)]
#[template(path = "companies/members.html")]
pub struct MembersPage {
    pub page: Page,
    pub company_id: CompanyId,
    pub company_name: String,
    pub can_manage: bool,
    pub members: Vec<crate::services::companies::Member>,
    /// Pending invitations, shown to company admins only.
    pub invitations: Vec<InvitationView>,
    pub me: UserId,
}

#[derive(Template)]
#[template(path = "members/invite_many.html")]
pub struct InviteManyPage {
    pub page: Page,
    /// The companies the person administers, the ones ticked before an error kept ticked.
    pub companies: Vec<ChoosableCompany>,
    /// "The 30 companies you administer".
    pub legend: String,
    pub email: String,
    pub admin: bool,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "members/remove.html")]
pub struct RemoveMemberPage {
    pub page: Page,
    pub company_id: CompanyId,
    pub member_id: UserId,
    pub question: String,
}

/// A pending invitation on a company's members page.
pub struct InvitationView {
    pub id: InvitationId,
    pub email: String,
    pub role: crate::domain::MemberRole,
    pub invited_at: String,
}
