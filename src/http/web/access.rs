//! Who may touch which company or token.

use crate::db::models::companies::{self, Company};
use crate::db::models::tokens::TokenMeta;
use crate::db::models::users::User;
use crate::db::queries;
use crate::domain::MemberRole;
use crate::http::error::AppError;
use crate::http::state::AppState;

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
    company_id: i64,
    need: Need,
) -> Result<(Company, MemberRole), AppError> {
    let user_id = user.id;
    let (company, role) = state
        .db
        .run(move |conn| Ok(companies::find_for_member(conn, company_id, user_id)?))
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
    token_id: i64,
    company_id: Option<i64>,
    need: Need,
) -> Result<(TokenMeta, Company, MemberRole), AppError> {
    let user_id = user.id;
    let found = state
        .db
        .run(move |conn| {
            Ok(queries::tokens::find_for_member(
                conn, token_id, user_id, company_id,
            )?)
        })
        .await?;
    let (token, company, role) = found.ok_or(AppError::NotFound)?;
    check(role, need)?;
    Ok((token, company, role))
}
