//! The simulated mailbox's pages.

use askama::Template;

use crate::http::web::page::Page;
use crate::http::web::views::Pagination;

#[derive(Template)]
#[template(path = "sandbox/mailbox.html")]
pub struct SandboxMailboxPage {
    pub page: Page,
    pub mails: Vec<SandboxMailRow>,
    pub pagination: Pagination,
}

pub struct SandboxMailRow {
    pub id: crate::domain::SandboxMailId,
    pub sent: String,
    pub recipient: String,
    pub subject: String,
}

#[derive(Template)]
#[template(path = "sandbox/mail.html")]
pub struct SandboxMailPage {
    pub page: Page,
    pub mail: crate::services::notify::mail::SandboxMail,
    pub sent: String,
    /// The addresses in the mail's text, as links to click.
    pub links: Vec<String>,
}
