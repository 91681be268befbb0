//! `/api/v1/anaf/tokens`: list, save, show and delete tokens (the seed contract), plus refresh and
//! access-token retrieval for integrations. Handlers parse, call the token service, and render.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{NaiveDateTime, SecondsFormat};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::anaf::client::AnafError;
use crate::db::models::companies::Company;
use crate::db::models::now;
use crate::db::models::tokens::{self, ListedToken, TokenMeta};
use crate::domain::{
    Cif, MemberRole, RefreshSchedule, RefreshState, Rights, TokenFacts, TokenState,
};
use crate::error::AppError;
use crate::http::api::ApiCaller;
use crate::http::api::json::ApiJson;
use crate::http::api::problem::{CallerErrors, Problem, TokenErrors};
use crate::http::state::AppState;
use crate::services::tokens::{
    ImportError, ImportRequest, RefreshOutcome, RefreshRequest, TokenError,
};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// What the API accepts as a CIF, as the OpenAPI document says it: digits (2 to 10), optionally
/// after `RO` in any case, with spaces anywhere (`Cif::parse` drops them). The check digit is
/// checked too, which no pattern can say.
pub const CIF_INPUT_PATTERN: &str = r"^\s*([Rr]\s*[Oo])?\s*([0-9]\s*){2,10}$";

/// RFC 3339 in UTC with `Z` and whole seconds: `2026-03-16T10:30:00Z`.
pub fn timestamp(at: NaiveDateTime) -> String {
    at.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// An ANAF token as the API shows it: the seed's five fields first, then documented extras.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(
    as = AnafToken,
    example = json!({
        "id": 123, "cif": "18547290", "expiresAt": "2026-03-16T10:30:00Z", "isValid": true,
        "createdAt": "2026-01-15T09:00:00Z", "status": "connected", "companyName": "Firma Test SRL",
        "refreshExpiresAt": "2027-01-15T09:00:00Z", "hasRefreshToken": true, "refreshable": true,
        "rights": "granted", "cifs": ["18547290", "14399840"],
        "refresh": {"state": "scheduled", "dueAt": "2026-03-02T10:30:00Z",
            "nextAttemptAt": null, "failingSince": null, "reconnectBy": null, "lastError": null}
    })
)]
pub struct AnafTokenView {
    /// Unique token identifier.
    pub id: i64,
    /// The fiscal code (CIF, digits only) of the company the token was first connected for. A
    /// token serves every company in `cifs`.
    #[schema(value_type = String, pattern = "^[0-9]{2,10}$", example = "18547290")]
    pub cif: Cif,
    /// When the access token expires (ISO 8601, UTC).
    #[schema(format = DateTime, example = "2026-03-16T10:30:00Z")]
    pub expires_at: String,
    /// The access token works right now: not expired, and ANAF has not refused its refresh
    /// token ("reconnect needed").
    pub is_valid: bool,
    /// When the token was saved (ISO 8601, UTC).
    #[schema(format = DateTime, example = "2026-01-15T09:00:00Z")]
    pub created_at: String,
    /// The portal's status: `connected`, `expiring_soon` (due for a refresh: within a fifth of its
    /// lifetime of expiry, at most 14 days; or expired while a refresh can still renew it),
    /// `expired` (nothing stored can renew it), `reconnect_needed` (ANAF refused the refresh token
    /// for good) or `no_rights` (ANAF says the certificate has no SPV rights for this CIF).
    #[schema(value_type = String, example = "connected",
        pattern = "^(connected|expiring_soon|expired|reconnect_needed|no_rights)$")]
    pub status: &'static str,
    /// The name of the company of `cif`, when the portal knows it.
    pub company_name: Option<String>,
    /// When the refresh token expires, when one is stored and its expiry is known.
    #[schema(format = DateTime)]
    pub refresh_expires_at: Option<String>,
    /// Whether a refresh token is stored (tokens saved through the API without `refreshToken`
    /// cannot be refreshed).
    pub has_refresh_token: bool,
    /// Whether a refresh can renew the pair now: a refresh token is stored, ANAF has not refused
    /// it, and it has not expired as far as is known. An expired access token with `refreshable`
    /// true comes back to life with `POST …/refresh` or `GET …/access-token`.
    pub refreshable: bool,
    /// The last verdict of ANAF's SPV-rights check: `granted`, `denied`, `unknown`. With
    /// `?cif=`, for that CIF; otherwise the best verdict among the caller's companies it serves.
    #[schema(value_type = String, example = "granted", pattern = "^(granted|denied|unknown)$")]
    pub rights: &'static str,
    /// The CIFs of the caller's companies this token serves (one certificate serves every
    /// company it has SPV rights for), in ascending order.
    #[schema(value_type = Vec<String>, example = json!(["18547290", "14399840"]))]
    pub cifs: Vec<Cif>,
    /// What the portal's refresh engine is doing to keep the token alive.
    pub refresh: RefreshView,
}

/// The refresh engine's state of a token.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefreshView {
    /// `scheduled` (refreshed by the portal once due, at `dueAt`), `refreshing` (a refresh is in
    /// flight), `retrying` (the last try failed for a passing reason: timeout, 5xx, 429; tried
    /// again at `nextAttemptAt`), `failing` (failing since `failingSince` for longer than
    /// `ANAF_PORTAL_REFRESH_FAILING_AFTER`; still tried twice a day), `reconnect_before` (no
    /// refresh can keep the token alive past `reconnectBy`: no refresh token, or ANAF does not
    /// extend the refresh token's expiry; someone must reconnect before then) or `stopped`
    /// (nothing will be tried: see `status`).
    #[schema(value_type = String, example = "scheduled",
        pattern = "^(scheduled|refreshing|retrying|failing|reconnect_before|stopped)$")]
    pub state: &'static str,
    /// When the token falls due for a refresh.
    #[schema(format = DateTime)]
    pub due_at: String,
    /// After a failed try: when the next one is due.
    #[schema(format = DateTime)]
    pub next_attempt_at: Option<String>,
    /// Since when refreshes have been failing.
    #[schema(format = DateTime)]
    pub failing_since: Option<String>,
    /// With `reconnect_before`: the date by which someone must reconnect.
    #[schema(format = DateTime)]
    pub reconnect_by: Option<String>,
    /// The last refresh error, as ANAF or the connection reported it.
    pub last_error: Option<String>,
}

/// What a token object is made of: the token's id, its status facts, where it stands with the
/// refresh engine and when it was saved.
pub struct TokenParts {
    pub id: i64,
    pub facts: TokenFacts,
    pub schedule: RefreshSchedule,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
}

impl From<&TokenMeta> for TokenParts {
    fn from(token: &TokenMeta) -> Self {
        TokenParts {
            id: token.id,
            facts: token.facts(),
            schedule: token.schedule(),
            last_error: token.last_error.clone(),
            created_at: token.created_at,
        }
    }
}

impl From<&ListedToken> for TokenParts {
    fn from(token: &ListedToken) -> Self {
        TokenParts {
            id: token.id,
            facts: token.facts(),
            schedule: token.schedule(),
            last_error: token.last_error.clone(),
            created_at: token.created_at.0,
        }
    }
}

impl RefreshView {
    fn new(
        facts: &TokenFacts,
        schedule: &RefreshSchedule,
        last_error: Option<String>,
        at: NaiveDateTime,
    ) -> RefreshView {
        let state = RefreshState::of(facts, schedule, at);
        let (next, since) = match state {
            RefreshState::Retrying { since, next } | RefreshState::Failing { since, next } => {
                (Some(next), Some(since))
            }
            _ => (None, None),
        };
        RefreshView {
            state: state.code(),
            due_at: timestamp(facts.refresh_due_at),
            next_attempt_at: next.map(timestamp),
            failing_since: since.map(timestamp),
            reconnect_by: match state {
                RefreshState::ReconnectBefore { by } => Some(timestamp(by)),
                _ => None,
            },
            last_error,
        }
    }
}

impl AnafTokenView {
    pub fn new(
        token: TokenParts,
        home: (Cif, Option<&str>),
        cifs: Vec<Cif>,
        at: NaiveDateTime,
    ) -> Self {
        let facts = token.facts;
        let (cif, name) = home;
        AnafTokenView {
            id: token.id,
            cif,
            expires_at: timestamp(facts.access_expires_at),
            is_valid: facts.is_valid(at),
            created_at: timestamp(token.created_at),
            status: facts.status(at).code(),
            company_name: name.filter(|n| !n.is_empty()).map(str::to_owned),
            refresh_expires_at: facts
                .has_refresh_token
                .then_some(facts.refresh_expires_at)
                .flatten()
                .map(timestamp),
            has_refresh_token: facts.has_refresh_token,
            refreshable: facts.refreshable(at),
            rights: facts.rights.as_str(),
            cifs,
            refresh: RefreshView::new(&facts, &token.schedule, token.last_error, at),
        }
    }

    /// One token as `user_id` sees it (see `for_member`); as `meta` says it served `company`
    /// when it is gone already (a later save replaced it).
    async fn of(
        state: &AppState,
        meta: &TokenMeta,
        company: &Company,
        user_id: i64,
    ) -> Result<Self, AppError> {
        let seen = for_member(state, user_id, Some(meta.id), None).await?.pop();
        Ok(seen.unwrap_or_else(|| {
            AnafTokenView::new(
                meta.into(),
                (company.cif.clone(), company.name.as_deref()),
                vec![company.cif.clone()],
                now(),
            )
        }))
    }
}

/// How good a rights verdict is, for choosing the one an entry shows.
fn rank(rights: Rights) -> u8 {
    match rights {
        Rights::Granted => 2,
        Rights::Unknown => 1,
        Rights::Denied => 0,
    }
}

/// The tokens serving `user_id`'s companies (or only `token_id`), one entry each, oldest first:
/// `cif` is the company it was first connected for, `cifs` the caller's companies it serves, and
/// the status follows the best rights verdict among them. With `only_cif`, the tokens with
/// confirmed rights for that CIF, the valid one with the latest expiry first. Two queries.
async fn for_member(
    state: &AppState,
    user_id: i64,
    token_id: Option<i64>,
    only_cif: Option<Cif>,
) -> Result<Vec<AnafTokenView>, AppError> {
    let (rows, homes) = state
        .db
        .run(move |conn| {
            let rows = tokens::list_for_member(conn, user_id, token_id)?;
            // A token's first company is usually one of the rows; only the others are read.
            let listed: HashSet<i64> = rows.iter().map(|(_, company, ..)| *company).collect();
            let mut missing: Vec<i64> = rows
                .iter()
                .filter(|(token, ..)| !listed.contains(&token.company_id))
                .map(|(token, ..)| token.id)
                .collect();
            missing.dedup();
            let homes = match missing.is_empty() {
                true => Vec::new(),
                false => tokens::home_companies(conn, &missing)?,
            };
            Ok((rows, homes))
        })
        .await?;
    let mut homes: HashMap<i64, (Cif, Option<String>)> = homes
        .into_iter()
        .map(|(id, cif, name)| (id, (cif, name)))
        .collect();
    for (token, company, cif, name) in &rows {
        if *company == token.company_id {
            homes.insert(token.id, (cif.clone(), name.clone()));
        }
    }
    let at = now();
    let mut entries: Vec<(ListedToken, Vec<Cif>)> = Vec::new();
    for (row, _, cif, _) in rows {
        let chosen = only_cif.as_ref().is_none_or(|only| *only == cif);
        match entries.last_mut() {
            Some((token, cifs)) if token.id == row.id => {
                if chosen && rank(row.rights) > rank(token.rights) {
                    token.rights = row.rights;
                }
                cifs.push(cif);
            }
            _ => {
                let mut row = row;
                if !chosen {
                    row.rights = Rights::Denied;
                }
                entries.push((row, vec![cif]));
            }
        }
    }
    if let Some(only) = &only_cif {
        entries.retain(|(token, cifs)| cifs.contains(only) && token.rights == Rights::Granted);
        entries.sort_by_key(|(token, _)| {
            let facts = token.facts();
            (
                std::cmp::Reverse(facts.is_valid(at)),
                std::cmp::Reverse(facts.access_expires_at),
            )
        });
    }
    Ok(entries
        .into_iter()
        .filter_map(|(token, mut cifs)| {
            let (cif, name) = homes.get(&token.id)?.clone();
            cifs.sort_by(|a, b| (a.as_str().len(), a).cmp(&(b.as_str().len(), b)));
            cifs.dedup();
            Some(AnafTokenView::new(
                (&token).into(),
                (cif, name.as_deref()),
                cifs,
                at,
            ))
        })
        .collect())
}

/// The body of `POST /api/v1/anaf/tokens`.
// Not `Debug`: it holds secrets.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"token": "eyJhbGciOiJSUzUxMiIsImtpZCI6ImFuYWZfMjAyM18yMDI0In0..."}))]
pub struct CreateTokenRequest {
    /// The ANAF OAuth access token: a JWT (three base64url parts separated by dots).
    #[schema(pattern = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")]
    pub token: String,
    /// The company's CIF (digits, optionally with `RO`; the check digit must be right). When
    /// omitted, the portal asks ANAF which of the caller's companies the token has SPV rights
    /// for and uses that one.
    #[serde(default)]
    #[schema(
        min_length = 2,
        pattern = r"^\s*([Rr]\s*[Oo])?\s*([0-9]\s*){2,10}$",
        example = "RO18547290"
    )]
    pub cif: Option<String>,
    /// The matching refresh token. Without it the portal cannot refresh the token.
    #[serde(default)]
    pub refresh_token: Option<String>,
}

/// The answer of `GET /api/v1/anaf/tokens/{id}/access-token`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccessTokenView {
    /// The decrypted ANAF access token; use it as `Authorization: Bearer` at ANAF.
    pub access_token: String,
    /// When it expires (ISO 8601, UTC).
    #[schema(format = DateTime, example = "2026-03-16T10:30:00Z")]
    pub expires_at: String,
}

/// The token `raw_id` with its company and the caller's role. Unknown (or non-numeric) id: 404;
/// a token of a company the caller is not a member of: 403, and nothing about it is shown.
async fn token_of_caller(
    state: &AppState,
    caller: &ApiCaller,
    raw_id: &str,
    need_admin: bool,
) -> Result<(TokenMeta, Company), AppError> {
    let id: i64 = raw_id.parse().map_err(|_| AppError::NotFound)?;
    let user_id = caller.user_id;
    let found = state
        .db
        .run(move |conn| {
            // Membership first: a token deleted in between is then "not found", not "forbidden".
            match tokens::find_for_member(conn, id, user_id, None)? {
                Some(found) => Ok(Some(Some(found))),
                None if tokens::exists(conn, id)? => Ok(Some(None)),
                None => Ok(None),
            }
        })
        .await?;
    let membership = found.ok_or(AppError::NotFound)?;
    match membership {
        Some((token, company, MemberRole::Admin)) => Ok((token, company)),
        Some((token, company, MemberRole::Viewer)) if !need_admin => Ok((token, company)),
        _ => Err(AppError::Forbidden),
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

/// A refresh that goes on after the answer (`202 Accepted`): where to look for its result.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefreshPending {
    /// The token id.
    pub id: i64,
    /// `in_progress` (ANAF has not answered yet) or `saving` (ANAF answered; the new pair is kept
    /// safe and saved as soon as the database is available again).
    #[schema(value_type = String, pattern = "^(in_progress|saving)$")]
    pub refresh: &'static str,
    /// What to do: read the token (`Location`) again in a little while.
    pub detail: &'static str,
}

fn pending(token_id: i64, refresh: &'static str) -> HttpResponse {
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
pub struct ListQuery {
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
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let only_cif = match query.into_inner().cif {
        None => None,
        Some(raw) => {
            Some(Cif::parse(&raw).map_err(|e| AppError::BadRequest(format!("`cif`: {e}")))?)
        }
    };
    let body = for_member(&state, caller.user_id, None, only_cif).await?;
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
    let (token, company) = token_of_caller(&state, &caller, &path, false).await?;
    let view = AnafTokenView::of(&state, &token, &company, caller.user_id).await?;
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
    let CreateTokenRequest {
        token,
        cif,
        refresh_token,
    } = body;
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
    let view = AnafTokenView::of(&state, &meta, &company, caller.user_id).await?;
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
        admin of). A token left serving no company is deleted from the portal and the call answers; \
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
    let (token, _) = token_of_caller(&state, &caller, &path, true).await?;
    let (token_id, user_id) = (token.id, caller.user_id);
    let administered = state
        .db
        .run(move |conn| {
            Ok(tokens::served_companies_administered_by(
                conn, token_id, user_id,
            )?)
        })
        .await?;
    let actor = caller.actor(&req, &state);
    let mut detached_any = false;
    for company_id in administered {
        // Answered as soon as the token is gone here: ANAF's revocation (which the call budget
        // may hold for up to a minute) finishes in the background.
        match state
            .tokens
            .detach(&actor, token_id, company_id, Duration::ZERO)
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
    let (token, company) = token_of_caller(&state, &caller, &path, true).await?;
    if token.state == TokenState::ReconnectNeeded {
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
        RefreshOutcome::Refreshed(meta) => Ok(HttpResponse::Ok()
            .json(AnafTokenView::of(&state, &meta, &company, caller.user_id).await?)),
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
    let (mut token, _) = token_of_caller(&state, &caller, &path, true).await?;
    let actor = caller.actor(&req, &state);
    if token.refresh_due_at <= now() && token.facts().refreshable(now()) {
        let request = RefreshRequest {
            wait: api_wait(&state),
            force: false,
        };
        match state.tokens.refresh_loaded(&actor, &token, request).await? {
            RefreshOutcome::Refreshed(meta) => token = *meta,
            RefreshOutcome::InProgress | RefreshOutcome::Spooled
                if token.access_expires_at <= now() =>
            {
                return Ok(pending(token.id, "in_progress"));
            }
            other if token.access_expires_at <= now() => return Err(refresh_error(other)),
            _ => {}
        }
    }
    if token.access_expires_at <= now() {
        return Err(AppError::Conflict(if token.has_refresh_token {
            format!("the access token has expired; {RECONNECT}")
        } else {
            format!("the access token has expired; {NO_REFRESH}")
        }));
    }
    let secret = state.tokens.reveal_access_token(&actor, token.id).await?;
    Ok(HttpResponse::Ok().json(AccessTokenView {
        access_token: secret.expose_secret().to_owned(),
        expires_at: timestamp(token.access_expires_at),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_utc_whole_seconds() {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 3, 16)
            .and_then(|d| d.and_hms_micro_opt(10, 30, 0, 123_456))
            .unwrap();
        assert_eq!(timestamp(at), "2026-03-16T10:30:00Z");
    }
}
