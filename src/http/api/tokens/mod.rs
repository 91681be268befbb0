//! `/api/v1/anaf/tokens`: list, save, show and delete tokens (the seed contract), plus refresh and
//! access-token retrieval for integrations. Handlers parse, call the token service, and render
//! (the JSON bodies are in `views`).

pub mod views;

pub use views::{
    AccessTokenView, AnafTokenView, CIF_INPUT_PATTERN, CreateTokenRequest, RefreshPending,
    timestamp,
};

use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::anaf::client::AnafError;
use crate::domain::{Cif, CompanyId, KeyCompanies, Permission, TokenId, TokenState};
use crate::http::api::ApiCaller;
use crate::http::api::json::ApiJson;
use crate::http::api::problem::{CallerErrors, Problem, TokenErrors};
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::services::now;
use crate::services::tokens::queries::{Company, TokenLookup, TokenMeta};
use crate::services::tokens::{
    ImportError, ImportRequest, RefreshOutcome, RefreshRequest, TokenError,
};
use views::for_member;

/// The token `raw_id` with its company, when the caller's key may use `permission` on it.
/// Unknown (or non-numeric) id: 404; a token of a company the caller is not a member of, or that
/// the key may not act for: 403, and nothing about it is shown.
async fn token_of_caller(
    state: &AppState,
    caller: &ApiCaller,
    raw_id: &str,
    permission: Permission,
) -> Result<(TokenMeta, Company), AppError> {
    caller.require(permission)?;
    let id = TokenId(raw_id.parse().map_err(|_| AppError::NotFound)?);
    let found = match state.tokens.lookup_for_member(id, caller.user_id).await? {
        TokenLookup::Member(found) => *found,
        TokenLookup::Missing => return Err(AppError::NotFound),
        TokenLookup::NotMember => return Err(AppError::Forbidden),
    };
    // The company the lookup chose may be one the key does not cover while another it serves is.
    let found = match (
        &caller.scope.companies,
        caller.scope.covers(found.company.id),
    ) {
        (_, true) => Some(found),
        (KeyCompanies::All, false) => None,
        (KeyCompanies::Only(companies), false) => {
            let mut covered = None;
            for company in companies {
                if let Some(row) = state
                    .tokens
                    .token_for_member(id, caller.user_id, Some(*company))
                    .await?
                {
                    covered = Some(row);
                    break;
                }
            }
            covered
        }
    };
    match found {
        Some(found)
            if caller
                .scope
                .allows(permission, found.company.id, found.role) =>
        {
            Ok((found.token, found.company))
        }
        Some(_) if !permission.is_read() => Err(AppError::NotPermitted(format!(
            "this needs `{permission}`, which a company viewer's key never has"
        ))),
        _ => Err(AppError::NotPermitted(
            "this API key may not act for the token's companies".to_owned(),
        )),
    }
}

/// ANAF did not give a usable answer: 503 (with `Retry-After` when ANAF sent one) when it could
/// not be reached, did not answer, failed (5xx) or is limiting; 502 when its answer was unusable.
fn anaf_unavailable(error: &AnafError, detail: String) -> AppError {
    match error {
        AnafError::RateLimited(retry_after_secs) => AppError::ServiceUnavailable {
            detail,
            retry_after_secs: *retry_after_secs,
        },
        AnafError::Unreachable | AnafError::Timeout | AnafError::Dropped | AnafError::Server(_) => {
            AppError::unavailable(detail)
        }
        _ => AppError::BadGateway(detail),
    }
}

impl From<ImportError> for AppError {
    fn from(e: ImportError) -> Self {
        let detail = e.to_string();
        match e {
            ImportError::Empty
            | ImportError::InvalidToken(_)
            | ImportError::Expired(_)
            | ImportError::RejectedByAnaf => AppError::BadRequest(detail),
            ImportError::AlreadyStored
            | ImportError::InvalidCif(_)
            | ImportError::NotYourCompany(_)
            | ImportError::NoCompanies
            | ImportError::TooManyCompanies
            | ImportError::NoRightsAnywhere(_)
            | ImportError::SeveralCompanies(_) => AppError::Unprocessable(detail),
            ImportError::ViewerOnly => AppError::Forbidden,
            ImportError::RightsUnconfirmed(_) => AppError::unavailable(detail),
            ImportError::Anaf(error) => anaf_unavailable(&error, detail),
            ImportError::Storage(e) => e.into(),
        }
    }
}

const RAW_TOKENS_OFF: &str = "this portal does not hand out ANAF tokens \
    (ANAF_PORTAL_RAW_TOKENS=off): call e-Factura through the portal's gateway, \
    /efactura/{test|prod}/FCTEL/rest/..., with an API key that has efactura:read or efactura:write";

const RECONNECT: &str = "ANAF refused this token's refresh token for good: the company must \
                         reconnect with its certificate (Connect ANAF in the portal)";
const NO_REFRESH: &str = "this token was saved without a refresh token and cannot be refreshed: \
                          save it again with `refreshToken`, or reconnect the company";

/// The answer to a refresh that did not end with a saved pair (`Ok`: still going, see `pending`).
fn refresh_error(outcome: RefreshOutcome) -> AppError {
    match outcome {
        RefreshOutcome::Refreshed(_) | RefreshOutcome::InProgress | RefreshOutcome::Spooled => {
            AppError::Internal(anyhow::anyhow!("not an error"))
        }
        RefreshOutcome::ReconnectNeeded {
            interrupted_at: Some(at),
            ..
        } => AppError::Conflict(format!(
            "a refresh of this token was interrupted at {} and ANAF has already replaced it; \
             {RECONNECT}",
            timestamp(at)
        )),
        RefreshOutcome::ReconnectNeeded { .. } => AppError::Conflict(RECONNECT.to_owned()),
        RefreshOutcome::NoRefreshToken => AppError::Conflict(NO_REFRESH.to_owned()),
        RefreshOutcome::Failed(error) => anaf_unavailable(
            &error,
            format!("the refresh failed: {error}; the token is unchanged"),
        ),
        RefreshOutcome::Unknown(error) => anaf_unavailable(
            &error,
            format!(
                "the refresh failed: {error}; ANAF may have replaced the token all the same: \
                 refresh again in a few minutes to learn which"
            ),
        ),
        RefreshOutcome::FailedElsewhere(why) => AppError::unavailable(format!(
            "a refresh of this token running at the same time failed: {why}; the token is unchanged"
        )),
    }
}

fn pending(token_id: TokenId, refresh: &'static str) -> HttpResponse {
    HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/api/v1/anaf/tokens/{token_id}")))
        .json(RefreshPending {
            id: token_id,
            refresh,
            detail: "the refresh goes on and its result will be saved; read the token again \
                     in a little while",
        })
}

/// How long an API call waits for a refresh before answering 202.
fn api_wait(state: &AppState) -> std::time::Duration {
    state.tokens.anaf().endpoints().timeout
}

/// `GET /api/v1/anaf/tokens?cif=…`.
#[derive(Deserialize)]
pub struct TokensQuery {
    cif: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/anaf/tokens",
    tag = "ANAF tokens",
    operation_id = "listTokens",
    summary = "List ANAF tokens",
    description = "Every token serving the companies the caller is a member of (admin or viewer), \
        oldest first, once each with `cifs` listing the caller's companies it serves. With `cif`, \
        only the tokens whose certificate has confirmed SPV rights for that CIF, best first: valid \
        ones before the others, then the latest expiry.",
    params(("cif" = Option<String>, Query, min_length = 2, pattern = r"^\s*([Rr]\s*[Oo])?\s*([0-9]\s*){2,10}$",
        description = "A CIF (digits, optionally with `RO`; the check digit must be right): only the tokens with confirmed SPV rights for it")),
    responses(
        (status = 200, description = "The tokens", body = Vec<AnafTokenView>),
        (status = 400, description = "`cif` is not a valid CIF (not digits, not 2 to 10 of them, or a wrong check digit)", body = Problem, content_type = "application/problem+json"),
        CallerErrors,
    ),
    security(("bearer" = []))
)]
pub async fn list(
    caller: ApiCaller,
    state: web::Data<AppState>,
    query: web::Query<TokensQuery>,
) -> Result<HttpResponse, AppError> {
    let only_cif = match query.into_inner().cif {
        None => None,
        Some(raw) => {
            Some(Cif::parse(&raw).map_err(|e| AppError::BadRequest(format!("`cif`: {e}")))?)
        }
    };
    caller.require(Permission::TokensRead)?;
    let body = for_member(&state, &caller, None, only_cif).await?;
    Ok(HttpResponse::Ok().json(body))
}

#[utoipa::path(
    get,
    path = "/api/v1/anaf/tokens/{id}",
    tag = "ANAF tokens",
    operation_id = "getToken",
    summary = "One ANAF token",
    params(("id" = i64, Path, description = "The token id")),
    responses(
        (status = 200, description = "The token", body = AnafTokenView),
        TokenErrors,
    ),
    security(("bearer" = []))
)]
pub async fn show(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (token, company) = token_of_caller(&state, &caller, &path, Permission::TokensRead).await?;
    let view = AnafTokenView::of(&state, &token, &company, &caller).await?;
    Ok(HttpResponse::Ok().json(view))
}

#[utoipa::path(
    post,
    path = "/api/v1/anaf/tokens",
    tag = "ANAF tokens",
    operation_id = "saveToken",
    summary = "Save a new ANAF token",
    description = "Reads the JWT's expiry, validates the token with ANAF's OAuth test service, \
        finds its company (`cif`, or the one company of the caller's the token has SPV rights for), \
        and stores it encrypted, replacing that company's earlier token. Without `refreshToken` \
        the token cannot be refreshed.",
    request_body(content = CreateTokenRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Saved", body = AnafTokenView,
            headers(("Location" = String, description = "The new token's URL"))),
        (status = 400, description = "Malformed JSON, a body that is not a JSON object, a field of the wrong type or given twice, missing `token`, not a JWT, undecodable claims, an expired token, or ANAF rejected the token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`cif` names a company where the caller is only a viewer", body = Problem, content_type = "application/problem+json"),
        (status = 408, description = "The body did not arrive within `ANAF_PORTAL_REQUEST_BODY_TIMEOUT` (15 s by default)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 64 KiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Content-Type is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The token is already stored; `cif` is invalid or not one of the caller's companies; or without `cif`, the token has rights for none or several of the caller's companies", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "ANAF's answer could not be used", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "ANAF could not be reached, failed (5xx) or is limiting requests (with `Retry-After` when ANAF sent one)", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait, when ANAF said"))),
        CallerErrors,
    ),
    security(("bearer" = []))
)]
pub async fn create(
    req: HttpRequest,
    caller: ApiCaller,
    state: web::Data<AppState>,
    ApiJson(body): ApiJson<CreateTokenRequest>,
) -> Result<HttpResponse, AppError> {
    caller.require(Permission::TokensWrite)?;
    let CreateTokenRequest {
        token,
        cif,
        refresh_token,
    } = body;
    if let KeyCompanies::Only(_) = caller.scope.companies
        && cif.is_none()
    {
        return Err(AppError::Unprocessable(
            "this API key is limited to some companies: say which with `cif`".to_owned(),
        ));
    }
    if let Some(Ok(cif)) = cif.as_deref().map(Cif::parse)
        && let Some((company, _)) = state
            .companies
            .membership_by_cif(cif, caller.user_id)
            .await?
        && !caller.scope.covers(company.id)
    {
        return Err(AppError::NotPermitted(
            "this API key may not act for that company".to_owned(),
        ));
    }
    let request = ImportRequest {
        access_token: SecretString::from(token.trim().to_owned()),
        refresh_token: refresh_token
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty())
            .map(SecretString::from),
        cif,
    };
    drop(token);
    let (meta, company) = state
        .tokens
        .import(&caller.actor(&req, &state), caller.user_id, request)
        .await?;
    let view = AnafTokenView::of(&state, &meta, &company, &caller).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/anaf/tokens/{}", view.id)))
        .json(view))
}

#[utoipa::path(
    delete,
    path = "/api/v1/anaf/tokens/{id}",
    tag = "ANAF tokens",
    operation_id = "deleteToken",
    summary = "Delete an ANAF token",
    description = "Stops the token serving the caller's companies (those the caller is company \
        admin of, and that the key may act for). A token left serving no company is deleted from the portal and the call answers; \
        ANAF is then asked, in the background, to revoke its access and refresh tokens (best \
        effort); one that still serves other people's companies goes on \
        serving them. e-Factura synchronisation stops for the caller's companies. Of concurrent \
        deletes of one token exactly one answers 204. Company admins only; audited.",
    params(("id" = i64, Path, description = "The token id")),
    responses(
        (status = 204, description = "Deleted"),
        TokenErrors,
    ),
    security(("bearer" = []))
)]
pub async fn delete(
    req: HttpRequest,
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (token, _) = token_of_caller(&state, &caller, &path, Permission::TokensWrite).await?;
    let (token_id, user_id) = (token.id, caller.user_id);
    let administered = state
        .tokens
        .served_companies_administered_by(TokenId(token_id.into()), user_id)
        .await?;
    let actor = caller.actor(&req, &state);
    let mut detached_any = false;
    // A key limited to some companies stops the token for those only.
    let covered = administered
        .into_iter()
        .filter(|company| caller.scope.covers(*company));
    for company_id in covered.map(CompanyId::get) {
        // Answered as soon as the token is gone here: ANAF's revocation (which the call budget
        // may hold for up to a minute) finishes in the background.
        match state
            .tokens
            .detach(&actor, token_id, company_id.into(), Duration::ZERO)
            .await
        {
            Ok(_) => detached_any = true,
            Err(TokenError::NotFound) => {}
            Err(error) => return Err(error.into()),
        }
    }
    if !detached_any {
        return Err(AppError::NotFound);
    }
    Ok(HttpResponse::NoContent().finish())
}

/// `POST …/refresh?force=true`. `force` is read as text and judged here, so that a wrong value
/// is refused in words that name it (serde's would not).
#[derive(Deserialize)]
pub struct RefreshQuery {
    #[serde(default)]
    force: Option<String>,
}

impl RefreshQuery {
    /// `true` or `false` (absent: `false`); anything else is the caller's mistake.
    fn force(&self) -> Result<bool, AppError> {
        match self.force.as_deref() {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(_) => Err(AppError::BadRequest(
                "`force` must be `true` or `false`".to_owned(),
            )),
        }
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/anaf/tokens/{id}/refresh",
    tag = "ANAF tokens",
    operation_id = "refreshToken",
    summary = "Refresh an ANAF token now",
    description = "Exchanges the stored refresh token at ANAF for a new pair. One refresh means one \
        ANAF call: a refresh asked for while another of the token runs (on any instance) gets that \
        one's result, and so does one asked for within 60 s of a successful refresh. The refresh \
        runs on its own with a 60 s wait for ANAF and its answer is saved whenever it arrives: \
        after `ANAF_HTTP_TIMEOUT` the call answers 202 and the refresh goes on. Company admins \
        only; audited.",
    params(
        ("id" = i64, Path, description = "The token id"),
        ("force" = Option<bool>, Query, description = "`true`: call ANAF even when the token was refreshed in the last 60 s; `false` (the default) or absent: not. Any other value is a 400"),
    ),
    responses(
        (status = 200, description = "Refreshed", body = AnafTokenView),
        (status = 400, description = "`force` is neither `true` nor `false`", body = Problem, content_type = "application/problem+json"),
        (status = 202, description = "Still in progress (or, while the database is down, saved as soon as it is back); read the token at `Location` again later", body = RefreshPending,
            headers(("Location" = String, description = "The token's URL"))),
        (status = 409, description = "Reconnect needed (ANAF refused the refresh token for good; the detail says when an interrupted refresh is why), or no refresh token is stored", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "ANAF's answer could not be used; the token is unchanged", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "ANAF could not be reached, failed (5xx), is limiting (then with `Retry-After` when ANAF sent one), or did not answer in time (the detail says whether ANAF may have replaced the token)", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait, when ANAF said"))),
        TokenErrors,
    ),
    security(("bearer" = []))
)]
pub async fn refresh(
    req: HttpRequest,
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<RefreshQuery>,
) -> Result<HttpResponse, AppError> {
    let force = query.force()?;
    let (token, company) = token_of_caller(&state, &caller, &path, Permission::TokensWrite).await?;
    if token.facts.state == TokenState::ReconnectNeeded {
        return Err(AppError::Conflict(RECONNECT.to_owned()));
    }
    let request = RefreshRequest {
        wait: api_wait(&state),
        force,
    };
    match state
        .tokens
        .refresh_loaded(&caller.actor(&req, &state), &token, request)
        .await?
    {
        RefreshOutcome::Refreshed(meta) => {
            Ok(HttpResponse::Ok().json(AnafTokenView::of(&state, &meta, &company, &caller).await?))
        }
        RefreshOutcome::InProgress => Ok(pending(token.id, "in_progress")),
        RefreshOutcome::Spooled => Ok(pending(token.id, "saving")),
        other => Err(refresh_error(other)),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/anaf/tokens/{id}/access-token",
    tag = "ANAF tokens",
    operation_id = "getAccessToken",
    summary = "The decrypted access token, for calling ANAF",
    description = "Refreshes the token first when it is due (within a fifth of its lifetime of \
        expiry, at most 14 days; one ANAF call as for `…/refresh`); when that refresh fails but \
        the current token is still unexpired, the current token is returned. Company admins only; \
        every call is audited.",
    params(("id" = i64, Path, description = "The token id")),
    responses(
        (status = 200, description = "The access token", body = AccessTokenView),
        (status = 202, description = "The access token has expired and its refresh is still in progress; ask again later", body = RefreshPending,
            headers(("Location" = String, description = "The token's URL"))),
        (status = 409, description = "The access token has expired and cannot be refreshed (reconnect needed or no refresh token)", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "The token has expired and ANAF's answer to the refresh could not be used", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The token has expired and ANAF could not be reached, failed or is limiting", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait, when ANAF said"))),
        TokenErrors,
    ),
    security(("bearer" = []))
)]
pub async fn access_token(
    req: HttpRequest,
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    if !state.config.efactura.raw_tokens {
        return Err(AppError::NotPermitted(RAW_TOKENS_OFF.to_owned()));
    }
    let (mut token, _) = token_of_caller(&state, &caller, &path, Permission::TokensSecret).await?;
    let actor = caller.actor(&req, &state);
    if token.facts.refresh_due_at <= now() && token.facts.refreshable(now()) {
        let request = RefreshRequest {
            wait: api_wait(&state),
            force: false,
        };
        match state.tokens.refresh_loaded(&actor, &token, request).await? {
            RefreshOutcome::Refreshed(meta) => token = *meta,
            RefreshOutcome::InProgress | RefreshOutcome::Spooled
                if token.facts.access_expires_at <= now() =>
            {
                return Ok(pending(token.id, "in_progress"));
            }
            other if token.facts.access_expires_at <= now() => return Err(refresh_error(other)),
            _ => {}
        }
    }
    if token.facts.access_expires_at <= now() {
        return Err(AppError::Conflict(if token.facts.has_refresh_token {
            format!("the access token has expired; {RECONNECT}")
        } else {
            format!("the access token has expired; {NO_REFRESH}")
        }));
    }
    let secret = state.tokens.reveal_access_token(&actor, token.id).await?;
    Ok(HttpResponse::Ok().json(AccessTokenView {
        access_token: secret.expose_secret().to_owned(),
        expires_at: timestamp(token.facts.access_expires_at),
    }))
}
