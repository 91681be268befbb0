//! The askama templates, one struct per page; `templates/` mirrors the handler areas.

use askama::Template;

use crate::i18n::Catalog;
use crate::web::page::Page;

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub t: Catalog,
    pub status: u16,
    pub title: &'a str,
    pub message: &'a str,
    pub request_id: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "auth/login.html")]
pub struct LoginPage {
    pub page: Page,
    pub email: String,
    pub next: String,
    pub error: Option<String>,
    pub notice: Option<&'static str>,
    pub registration_open: bool,
}

#[derive(Template)]
#[template(path = "auth/register.html")]
pub struct RegisterPage {
    pub page: Page,
    pub open: bool,
    pub email: String,
    pub email_error: Option<&'static str>,
    pub password_error: Option<&'static str>,
    pub confirm_error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "dashboard/index.html")]
pub struct DashboardPage {
    pub page: Page,
    pub member_since: String,
}
