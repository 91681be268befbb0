//! Connect ANAF: the OAuth authorization-code flow, in two flavours that share ANAF's one
//! registered redirect URI. `account`: a company admin starts it from the company's page, bound
//! to their session. `link`: a certificate holder starts it from an authorization link, bound to
//! their browser by a cookie, with no account. `failure`: why either did not complete, and its
//! page.

pub mod account;
pub mod failure;
pub mod link;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::http::error::AppError;
use crate::http::state::AppState;
use failure::Failure;

#[derive(Deserialize)]
pub struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
    /// RFC 9207: the authorization server that answers, when it says.
    iss: Option<String>,
}

/// `GET /anaf/callback`: ANAF's redirect, handed to the flavour that started it. A link's
/// transaction is recognised by its state before any session check: the holder has no session.
pub async fn callback(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<CallbackQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    if let Some(oauth_state) = query.state.as_deref()
        && state.links.owns_state(oauth_state).await?
    {
        return link::callback(&req, &state, &query, oauth_state).await;
    }
    account::callback(&req, &state, &query).await
}

/// The code ANAF sent back, or why there is none.
pub fn parse_answer<'q>(query: &'q CallbackQuery, issuer: &str) -> Result<&'q str, Failure> {
    if query.iss.as_deref().is_some_and(|iss| iss != issuer) {
        return Err(Failure::WrongIssuer);
    }
    let description = query
        .error_description
        .as_deref()
        .map(|d| d.trim().chars().take(300).collect::<String>())
        .filter(|d| !d.is_empty());
    match query.error.as_deref() {
        Some("access_denied") => return Err(Failure::AccessDenied(description)),
        Some(other) => {
            return Err(Failure::AnafError(other.chars().take(64).collect()));
        }
        None => {}
    }
    query
        .code
        .as_deref()
        .filter(|c| !c.is_empty())
        .ok_or(Failure::CodeMissing)
}
