//! Who may touch which company or token, and who is acting (for the audit log).

use actix_web::HttpRequest;
use actix_web::http::header;

use crate::db::models::audit::Actor;
use crate::db::models::companies::{self, Company, MemberRole};
use crate::db::models::tokens::{self, TokenMeta};
use crate::db::models::users::User;
use crate::error::AppError;
use crate::web::state::AppState;

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

/// The token and its company, when the user is a member of that company.
pub async fn token(
    state: &AppState,
    user: &User,
    token_id: i64,
    need: Need,
) -> Result<(TokenMeta, Company, MemberRole), AppError> {
    let user_id = user.id;
    let found = state
        .db
        .run(move |conn| {
            let Some(token) = tokens::find_meta(conn, token_id)? else {
                return Ok(None);
            };
            let membership = companies::find_for_member(conn, token.company_id, user_id)?;
            Ok(membership.map(|(company, role)| (token, company, role)))
        })
        .await?;
    let (token, company, role) = found.ok_or(AppError::NotFound)?;
    check(role, need)?;
    Ok((token, company, role))
}

pub fn client_ip(req: &HttpRequest, trust_proxy: bool) -> String {
    let info = req.connection_info();
    let address = if trust_proxy {
        info.realip_remote_addr()
    } else {
        info.peer_addr()
    };
    address.unwrap_or("unknown").to_owned()
}

pub fn actor(req: &HttpRequest, state: &AppState, user_id: Option<i64>) -> Actor {
    Actor {
        user_id,
        ip: Some(client_ip(req, state.trust_proxy)),
        user_agent: req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    }
}

/// Records an audit event; a failure to record is logged, never shown (the action already happened).
pub async fn audit(
    state: &AppState,
    actor: Actor,
    action: &'static str,
    company_id: Option<i64>,
    token_id: Option<i64>,
    outcome: crate::db::models::audit::Outcome,
    detail: Option<String>,
) {
    let result = state
        .db
        .run(move |conn| {
            crate::db::models::audit::record(
                conn,
                &actor,
                &crate::db::models::audit::Event {
                    action,
                    company_id,
                    token_id,
                    outcome,
                    detail: detail.as_deref(),
                },
            )?;
            Ok(())
        })
        .await;
    if let Err(e) = result {
        tracing::error!(error = %e, action, "audit event could not be recorded");
    }
}
