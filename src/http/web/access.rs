//! Who may touch which company or token.

use crate::domain::{CompanyId, MemberRole, TokenId};
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::services::accounts::User;
use crate::services::companies::Company;
use crate::services::tokens::queries::TokenMeta;

/// Whether an action needs the company admin role or membership is enough.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Member,
    Admin,
}

fn check(role: MemberRole, need: Need) -> Result<(), AppError> {
    match (need, role) {
        (Need::Admin, MemberRole::Viewer) => Err(AppError::Forbidden),
        _ => Ok(()),
    }
}

/// The company, when the user is a member; a non-member gets 404 (existence is not revealed).
pub async fn company(
    state: &AppState,
    user: &User,
    company_id: CompanyId,
    need: Need,
) -> Result<(Company, MemberRole), AppError> {
    let (company, role) = state
        .companies
        .membership(company_id, user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    check(role, need)?;
    Ok((company, role))
}

/// The token as it serves one of the user's companies (`company_id` when given, else the one
/// where the user has the most say), that company and the user's role there. A token that serves
/// none of the user's companies is not found.
pub async fn token(
    state: &AppState,
    user: &User,
    token_id: TokenId,
    company_id: Option<CompanyId>,
    need: Need,
) -> Result<(TokenMeta, Company, MemberRole), AppError> {
    let found = state
        .tokens
        .token_for_member(token_id, user.id, company_id)
        .await?;
    let found = found.ok_or(AppError::NotFound)?;
    check(found.role, need)?;
    Ok((found.token, found.company, found.role))
}
