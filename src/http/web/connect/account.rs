//! Connect ANAF from a company's page, the account flavour: the redirect to ANAF, bound to the
//! person's session by a stored transaction, and the callback's part once ANAF comes back.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::TimeDelta;

use super::failure::{Failure, failure_code, failure_redirect};
use super::{CallbackQuery, parse_answer};
use crate::anaf::client::RightsVerdict;
use crate::db::models::companies;
use crate::db::models::now;
use crate::db::models::oauth_transactions::{self, NewTransaction, Transaction};
use crate::domain::{AuditAction, AuditEvent};
use crate::error::AppError;
use crate::http::auth::session::FlashLevel;
use crate::http::auth::{CurrentUser, PortalSession, current_user};
use crate::http::state::AppState;
use crate::http::web::access::{self, Need};
use crate::http::web::page::{no_referrer, see_other};
use crate::i18n::Lang;
use crate::secrets::{pkce_seed_and_challenge, pkce_verifier, random_token, sha256_hex};

/// How long a started Connect ANAF may take to come back.
const TRANSACTION_LIFETIME_MINUTES: i64 = 10;

/// Ties a transaction to the browser session that started it, without storing the session's token.
fn session_binding(req: &HttpRequest) -> String {
    sha256_hex(&PortalSession::of(req).csrf_token())
}

pub async fn start(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (company, _) = access::company(&state, &user.0, path.into_inner(), Need::Admin).await?;
    // 256 random bits; only its hash is stored.
    let oauth_state = random_token(32);
    // The row keeps only the verifier's seed (see `secrets::pkce_verifier`).
    let (seed, challenge) = match state.pkce {
        true => {
            let (seed, challenge) = pkce_seed_and_challenge(&oauth_state);
            (Some(seed), Some(challenge))
        }
        false => (None, None),
    };
    let binding = session_binding(&req);
    let state_hash = sha256_hex(&oauth_state);
    let (user_id, company_id) = (user.0.id, company.id);
    state
        .db
        .run(move |conn| {
            let at = now();
            oauth_transactions::insert(
                conn,
                &NewTransaction {
                    state_hash: &state_hash,
                    session_binding: &binding,
                    user_id,
                    company_id,
                    pkce_verifier: seed.as_deref(),
                    created_at: at,
                    expires_at: at + TimeDelta::minutes(TRANSACTION_LIFETIME_MINUTES),
                },
            )?;
            // Housekeeping: forget transactions that ended over a day ago.
            oauth_transactions::delete_older_than(conn, at - TimeDelta::days(1))?;
            Ok(())
        })
        .await?;
    state
        .audit
        .record(
            &state.actor(&req, Some(user_id)),
            AuditEvent::success(AuditAction::ConnectStarted).company(company_id),
        )
        .await;
    let url = state
        .tokens
        .anaf()
        .authorize_url(&oauth_state, challenge.as_deref());
    Ok(see_other(url.as_str()))
}

/// ANAF's redirect for a Connect ANAF started from a company's page (`super::callback` hands it
/// over).
pub async fn callback(
    req: &HttpRequest,
    state: &AppState,
    query: &CallbackQuery,
) -> Result<HttpResponse, AppError> {
    // Not the CurrentUser extractor: a lost session must not bounce to /login?next= with the
    // code in the URL.
    let Some(user) = current_user::load(req).await? else {
        return failure_redirect(req, Failure::SessionEnded, None);
    };
    let transaction = match claim_transaction(req, state, user.id, query.state.as_deref()).await? {
        Ok(transaction) => transaction,
        Err(failure) => return failure_redirect(req, failure, None),
    };
    let company_id = transaction.company_id;
    let user_id = user.id;
    let company = state
        .db
        .run(move |conn| Ok(companies::find_for_member(conn, company_id, user_id)?))
        .await?
        .map(|(company, _)| company)
        .ok_or(AppError::NotFound)?;
    let actor = state.actor(req, Some(user.id));
    let code = match parse_answer(query, &state.tokens.anaf().endpoints().issuer) {
        Ok(code) => code,
        Err(failure) => {
            state
                .audit
                .record(
                    &actor,
                    AuditEvent::failure(AuditAction::ConnectFailed)
                        .company(company.id)
                        .detail(failure_code(&failure)),
                )
                .await;
            return failure_redirect(req, failure, Some(&company));
        }
    };
    // Claiming the transaction needed the state, so it is there.
    let code_verifier = transaction
        .pkce_verifier
        .as_deref()
        .zip(query.state.as_deref())
        .map(|(seed, oauth_state)| pkce_verifier(oauth_state, seed));
    let connected = state
        .tokens
        .connect(&actor, &company, code, code_verifier.as_deref())
        .await;
    match connected {
        Ok((_, verdict)) => {
            let t = Lang::from_request(req).catalog();
            let (level, message) = match &verdict {
                RightsVerdict::Granted => (FlashLevel::Success, t.get("connect-done")),
                RightsVerdict::Denied(_) => (FlashLevel::Error, t.get("connect-done_no_rights")),
                RightsVerdict::Unknown(_) => {
                    (FlashLevel::Info, t.get("connect-done_rights_unknown"))
                }
            };
            PortalSession::of(req).flash(level, message);
            Ok(no_referrer(see_other(&format!(
                "/companies/{}",
                company.id
            ))))
        }
        Err(error) => failure_redirect(req, Failure::from(error), Some(&company)),
    }
}

/// Finds and consumes the transaction named by `state`, checking it belongs to this session and
/// user. No request reaches ANAF unless this succeeds.
async fn claim_transaction(
    req: &HttpRequest,
    state: &AppState,
    user_id: i64,
    oauth_state: Option<&str>,
) -> Result<Result<Transaction, Failure>, AppError> {
    let Some(oauth_state) = oauth_state.filter(|s| !s.is_empty() && s.len() <= 512) else {
        return Ok(Err(Failure::StateMissing));
    };
    let state_hash = sha256_hex(oauth_state);
    let binding = session_binding(req);
    let claimed = state
        .db
        .run(move |conn| {
            let at = now();
            let Some(tx) = oauth_transactions::find(conn, &state_hash)? else {
                return Ok(Err(Failure::StateUnknown));
            };
            if tx.consumed_at.is_some() {
                return Ok(Err(Failure::StateReused));
            }
            if tx.user_id != user_id || tx.session_binding != binding {
                return Ok(Err(Failure::StateForeign));
            }
            if tx.expires_at <= at {
                return Ok(Err(Failure::StateExpired));
            }
            if !oauth_transactions::consume(conn, &state_hash, at)? {
                return Ok(Err(Failure::StateReused));
            }
            Ok(Ok(tx))
        })
        .await?;
    Ok(claimed)
}
