//! The platform administrator's pages: users and the audit log.

use askama::Template;

use super::AuditQuery;
use crate::domain::UserId;
use crate::http::web::page::Page;
use crate::http::web::views::Pagination;

pub struct UserView {
    pub id: UserId,
    pub email: String,
    pub role: &'static str,
    pub disabled: bool,
    pub verified: bool,
    pub created: String,
    pub is_me: bool,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
pub struct UsersPage {
    pub page: Page,
    pub users: Vec<UserView>,
    pub pagination: Pagination,
    pub search: String,
    /// Nothing: the search macro's hidden fields.
    pub keep: Vec<(&'static str, String)>,
}

pub struct AuditView {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub label: String,
    pub company_id: Option<i64>,
    pub token_id: Option<i64>,
    pub success: bool,
    pub ip: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
pub struct AuditLogPage {
    pub page: Page,
    pub events: Vec<AuditView>,
    pub pagination: Pagination,
    pub query: AuditQuery,
}

/// A password reset link a platform admin just issued: shown once, to hand over.
#[derive(Template)]
#[template(path = "admin/reset_link.html")]
pub struct ResetLinkPage {
    pub page: Page,
    pub intro: String,
    pub url: String,
}
