//! Connect ANAF from a company's page, the account flavour: the redirect to ANAF, bound to the
//! person's session by a stored transaction, and the callback's part once ANAF comes back.

use actix_web::{HttpRequest, HttpResponse, web};

use super::failure::{Failure, failure_code, failure_redirect};
use super::{CallbackQuery, parse_answer};
use crate::anaf::client::RightsVerdict;
use crate::domain::{CompanyId, UserId};
use crate::http::auth::session::FlashLevel;
use crate::http::auth::{CurrentUser, PortalSession, current_user};
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::http::web::access::{self, Need};
use crate::http::web::page::{no_referrer, see_other};
use crate::i18n::Lang;
use crate::secrets::{pkce_seed_and_challenge, pkce_verifier, random_token, sha256_hex};
use crate::services::tokens::queries::{ClaimRefusal, ConnectStart, Transaction};

/// Ties a transaction to the browser session that started it, without storing the session's token.
fn session_binding(req: &HttpRequest) -> String {
    sha256_hex(PortalSession::of(req).csrf_token())
}

pub async fn start(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<CompanyId>,
) -> Result<HttpResponse, AppError> {
    let (company, _) = access::company(&state, &user.0, path.into_inner(), Need::Admin).await?;
    // 256 random bits; only its hash is stored.
    let oauth_state = random_token(32);
    // The row keeps only the verifier's seed (see `secrets::pkce_verifier`).
    let (seed, challenge) = match state.config.anaf.pkce {
        true => {
            let (seed, challenge) = pkce_seed_and_challenge(&oauth_state);
            (Some(seed), Some(challenge))
        }
        false => (None, None),
    };
    let start = ConnectStart {
        user: user.0.id,
        company: company.id,
        state_hash: sha256_hex(&oauth_state),
        session_binding: session_binding(&req),
        pkce_seed: seed,
    };
    state
        .tokens
        .begin_connect(&state.actor(&req, Some(user.0.id)), start)
        .await?;
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
    let company = state
        .tokens
        .company_of_member(CompanyId(transaction.company_id), user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let actor = state.actor(req, Some(user.id));
    let code = match parse_answer(query, &state.tokens.anaf().endpoints().issuer) {
        Ok(code) => code,
        Err(failure) => {
            state
                .tokens
                .connect_refused(&actor, company.id, failure_code(&failure))
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
    user_id: UserId,
    oauth_state: Option<&str>,
) -> Result<Result<Transaction, Failure>, AppError> {
    let Some(oauth_state) = oauth_state.filter(|s| !s.is_empty() && s.len() <= 512) else {
        return Ok(Err(Failure::StateMissing));
    };
    let claimed = state
        .tokens
        .claim_connect(user_id, sha256_hex(oauth_state), session_binding(req))
        .await?;
    Ok(claimed.map_err(|refusal| match refusal {
        ClaimRefusal::Unknown => Failure::StateUnknown,
        ClaimRefusal::Reused => Failure::StateReused,
        ClaimRefusal::Foreign => Failure::StateForeign,
        ClaimRefusal::Expired => Failure::StateExpired,
    }))
}
