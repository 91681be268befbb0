//! The sandbox mailbox: in sandbox mode without SMTP, every mail the portal would have sent, so
//! that verification, invitations and authorization links can be walked end to end. Anyone who
//! reaches a sandbox portal can read it (like the simulated ANAF, nothing in it is real); with an
//! SMTP server, or outside the sandbox, it does not exist.

pub mod pages;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::http::web::page::{Page, html};
use crate::http::web::views::{PAGE_SIZE, PageQuery, Pagination};
use crate::services::notify::mail::SandboxMailbox;
use pages::{SandboxMailPage, SandboxMailRow, SandboxMailboxPage};

fn simulated(state: &AppState) -> Result<SandboxMailbox, AppError> {
    match &state.mailer {
        Some(mailer) if state.sandbox() => mailer.sandbox_mailbox().ok_or(AppError::NotFound),
        _ => Err(AppError::NotFound),
    }
}

pub async fn mailbox(
    page: Page,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let mailbox = simulated(&state)?;
    let number = Pagination::parse_page(query.page.as_deref());
    let (rows, total) = mailbox
        .page(Pagination::offset(number, PAGE_SIZE), PAGE_SIZE)
        .await?;
    let mails = rows
        .into_iter()
        .map(|mail| SandboxMailRow {
            id: mail.id,
            sent: page.t.local_date_time(mail.created_at),
            recipient: mail.recipient,
            subject: mail.subject,
        })
        .collect();
    html(
        StatusCode::OK,
        &SandboxMailboxPage {
            page,
            mails,
            pagination: Pagination::new(number, total, String::new()),
        },
    )
}

pub async fn show(
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<crate::domain::SandboxMailId>,
) -> Result<HttpResponse, AppError> {
    let mailbox = simulated(&state)?;
    let mail = mailbox
        .find(path.into_inner())
        .await?
        .ok_or(AppError::NotFound)?;
    html(
        StatusCode::OK,
        &SandboxMailPage {
            links: links_in(&mail.body_text),
            sent: page.t.local_date_time(mail.created_at),
            page,
            mail,
        },
    )
}

/// The web addresses a mail's text holds, in order, each once: the page makes them clickable.
fn links_in(text: &str) -> Vec<String> {
    let mut links: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        let word = word.trim_end_matches(['.', ',', ')', ';']);
        if (word.starts_with("http://") || word.starts_with("https://"))
            && !links.iter().any(|l| l == word)
        {
            links.push(word.to_owned());
        }
    }
    links
}

#[cfg(test)]
mod tests {
    use super::links_in;

    #[test]
    fn links_are_found_once_without_trailing_punctuation() {
        let text = "Open http://127.0.0.1:8080/verify-email/abc.\nOr https://x.ro/a, again http://127.0.0.1:8080/verify-email/abc";
        assert_eq!(
            links_in(text),
            vec![
                "http://127.0.0.1:8080/verify-email/abc".to_owned(),
                "https://x.ro/a".to_owned()
            ]
        );
    }
}
