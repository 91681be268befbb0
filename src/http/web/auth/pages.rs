//! The login and registration pages.

use askama::Template;

use crate::http::web::page::Page;

#[derive(Template)]
#[template(path = "auth/login.html")]
pub struct LoginPage {
    pub page: Page,
    pub email: String,
    pub next: String,
    pub error: Option<String>,
    pub notice: Option<String>,
    pub registration_open: bool,
    /// The "Sign in with a passkey" button's options (JSON), when the portal allows passkeys.
    pub passkey_options: Option<String>,
}

#[derive(Template)]
#[template(path = "auth/register.html")]
pub struct RegisterPage {
    pub page: Page,
    pub open: bool,
    pub email: String,
    pub email_error: Option<String>,
    pub password_error: Option<String>,
    pub confirm_error: Option<String>,
}
