//! `/api/v1/anaf/tokens`: list, save, show and delete tokens (the seed contract), plus refresh and
//! access-token retrieval for integrations. Handlers parse, call the token service, and render.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::anaf::client::{AnafError, RevokeOutcome, RightsVerdict};
use crate::api::{ApiCaller, ApiContext};
use crate::db::models::audit::Outcome;
use crate::db::models::companies::{self, Company, MemberRole};
use crate::db::models::now;
use crate::db::models::tokens::{self, Rights, TokenMeta, TokenState, TokenSummary};
use crate::domain::Cif;
use crate::error::AppError;
use crate::secrets::sha256_hex;
use crate::tokens::service::StorePairError;
use crate::tokens::{RefreshOutcome, TokenStatus};
use crate::web::access;
use crate::web::state::AppState;

/// At most this many companies are probed for SPV rights when `cif` is omitted.
pub const MAX_RIGHTS_PROBES: usize = 50;
/// Rights probes run this many at a time.
const PROBE_CONCURRENCY: usize = 8;
/// `access-token` refreshes first when the access token expires within this many hours.
pub const REFRESH_WITHIN_HOURS: i64 = 24;

/// RFC 3339 in UTC with `Z` and whole seconds: `2026-03-16T10:30:00Z`.
pub fn timestamp(at: NaiveDateTime) -> String {
    crate::timestamps::rfc3339_utc(at)
}

fn utc_timestamp(at: DateTime<Utc>) -> String {
    timestamp(at.naive_utc())
}

/// An ANAF token as the API shows it: the seed's five fields first, then documented extras.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(
    as = AnafToken,
    example = json!({
        "id": 123, "cif": "18547290", "expiresAt": "2026-03-16T10:30:00Z", "isValid": true,
        "createdAt": "2026-01-15T09:00:00Z", "status": "connected", "companyName": "Firma Test SRL",
        "refreshExpiresAt": "2027-01-15T09:00:00Z", "hasRefreshToken": true, "rights": "granted"
    })
)]
pub struct AnafTokenView {
    /// Unique token identifier.
    pub id: i64,
    /// The company's fiscal code (CIF), digits only.
    #[schema(pattern = "^[0-9]{2,10}$", example = "18547290")]
    pub cif: String,
    /// When the access token expires (ISO 8601, UTC).
    #[schema(format = DateTime, example = "2026-03-16T10:30:00Z")]
    pub expires_at: String,
    /// Usable right now: not expired, not revoked, and not in "reconnect needed".
    pub is_valid: bool,
    /// When the token was saved (ISO 8601, UTC).
    #[schema(format = DateTime, example = "2026-01-15T09:00:00Z")]
    pub created_at: String,
    /// The portal's status: `connected`, `expiring_soon` (under 14 days left), `expired`,
    /// `reconnect_needed` (ANAF refused the refresh token for good) or `no_rights` (valid, but
    /// ANAF says the certificate has no SPV rights for this CIF).
    #[schema(value_type = String, example = "connected",
        pattern = "^(connected|expiring_soon|expired|reconnect_needed|no_rights)$")]
    pub status: &'static str,
    /// The company's name, when the portal knows it.
    pub company_name: Option<String>,
    /// When the refresh token expires, when one is stored and its expiry is known.
    #[schema(format = DateTime)]
    pub refresh_expires_at: Option<String>,
    /// Whether a refresh token is stored (tokens saved through the API without `refreshToken`
    /// cannot be refreshed).
    pub has_refresh_token: bool,
    /// The last verdict of ANAF's SPV-rights check for this CIF: `granted`, `denied`, `unknown`.
    #[schema(value_type = String, example = "granted", pattern = "^(granted|denied|unknown)$")]
    pub rights: &'static str,
}

impl AnafTokenView {
    pub fn new(token: &TokenMeta, company: &Company, at: NaiveDateTime) -> AnafTokenView {
        let status = TokenStatus::of(Some(token), at);
        AnafTokenView {
            id: token.id,
            cif: company.cif.clone(),
            expires_at: timestamp(token.access_expires_at),
            is_valid: status.is_valid(),
            created_at: timestamp(token.created_at),
            status: status.code(),
            company_name: company.name.clone().filter(|n| !n.is_empty()),
            refresh_expires_at: token
                .has_refresh_token
                .then_some(token.refresh_expires_at)
                .flatten()
                .map(timestamp),
            has_refresh_token: token.has_refresh_token,
            rights: token.rights().as_str(),
        }
    }

    /// The same object from a list row.
    pub fn from_summary(
        token: TokenSummary,
        cif: String,
        name: Option<String>,
        at: NaiveDateTime,
    ) -> AnafTokenView {
        let status =
            TokenStatus::from_parts(token.state(), token.access_expires_at, token.rights(), at);
        AnafTokenView {
            id: token.id,
            cif,
            expires_at: timestamp(token.access_expires_at),
            is_valid: status.is_valid(),
            created_at: timestamp(token.created_at),
            status: status.code(),
            company_name: name.filter(|n| !n.is_empty()),
            refresh_expires_at: token
                .has_refresh_token
                .then_some(token.refresh_expires_at)
                .flatten()
                .map(timestamp),
            has_refresh_token: token.has_refresh_token,
            rights: token.rights().as_str(),
        }
    }
}

/// The body of `POST /api/v1/anaf/tokens`. Deliberately not `Debug`: it holds secrets.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"token": "eyJhbGciOiJSUzUxMiIsImtpZCI6ImFuYWZfMjAyM18yMDI0In0..."}))]
pub struct CreateTokenRequest {
    /// The ANAF OAuth access token (a JWT).
    pub token: String,
    /// The company's CIF (digits, optionally with `RO`). When omitted, the portal asks ANAF which
    /// of the caller's companies the token has SPV rights for and uses that one.
    #[serde(default)]
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

/// An RFC 9457 problem detail, as every API error is rendered (`application/problem+json`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({
    "type": "about:blank", "title": "Unprocessable Entity", "status": 422,
    "detail": "this token is already stored", "requestId": "3f2b9c1e"
}))]
pub struct Problem {
    /// Always `about:blank`: the status says what kind of problem it is.
    #[serde(rename = "type")]
    pub kind: String,
    /// The status's reason phrase.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong, in English; never contains a token or a key.
    pub detail: String,
    /// The id of the request in the portal's logs.
    pub request_id: String,
}

fn forbidden_unless_admin(role: MemberRole) -> Result<(), AppError> {
    match role {
        MemberRole::Admin => Ok(()),
        MemberRole::Viewer => Err(AppError::Forbidden),
    }
}

/// The token `raw_id` with its company and the caller's role. Unknown (or non-numeric) id: 404;
/// a token of a company the caller is not a member of: 403, and nothing about it is shown.
async fn token_of_caller(
    state: &AppState,
    caller: &ApiCaller,
    raw_id: &str,
) -> Result<(TokenMeta, Company, MemberRole), AppError> {
    let id: i64 = raw_id.parse().map_err(|_| AppError::NotFound)?;
    let user_id = caller.user_id;
    let found = state
        .db
        .run(move |conn| {
            let Some(token) = tokens::find_meta(conn, id)? else {
                return Ok(None);
            };
            let membership = companies::find_for_member(conn, token.company_id, user_id)?;
            Ok(Some((token, membership)))
        })
        .await?;
    let (token, membership) = found.ok_or(AppError::NotFound)?;
    let (company, role) = membership.ok_or(AppError::Forbidden)?;
    Ok((token, company, role))
}

async fn load_view(state: &AppState, token_id: i64) -> Result<AnafTokenView, AppError> {
    let found = state
        .db
        .run(move |conn| {
            let Some(token) = tokens::find_meta(conn, token_id)? else {
                return Ok(None);
            };
            let company = companies::find(conn, token.company_id)?;
            Ok(company.map(|c| (token, c)))
        })
        .await?;
    let (token, company) = found.ok_or(AppError::NotFound)?;
    Ok(AnafTokenView::new(&token, &company, now()))
}

/// ANAF did not give an answer: 503 when it could not be reached or is limiting, else 502.
fn anaf_failure(error: &AnafError) -> AppError {
    let detail = format!("{error}; nothing was changed, try again later");
    match error {
        AnafError::Unreachable | AnafError::Timeout | AnafError::RateLimited => {
            AppError::ServiceUnavailable(detail)
        }
        _ => AppError::BadGateway(detail),
    }
}

/// The same split for a refresh that failed for a temporary reason (the service reports text).
fn refresh_failure(why: &str) -> AppError {
    let unavailable = [
        AnafError::Unreachable,
        AnafError::Timeout,
        AnafError::RateLimited,
    ]
    .iter()
    .any(|e| why == e.to_string());
    let detail = format!("the refresh failed: {why}; the token is unchanged");
    if unavailable {
        AppError::ServiceUnavailable(detail)
    } else {
        AppError::BadGateway(detail)
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/anaf/tokens",
    tag = "ANAF tokens",
    operation_id = "listTokens",
    summary = "List ANAF tokens",
    description = "Every token of the companies the caller is a member of (admin or viewer), oldest first. \
        Served from a per-user cache that any change to the caller's tokens, companies or \
        memberships invalidates at once, whichever instance makes it.",
    responses(
        (status = 200, description = "The tokens", body = Vec<AnafTokenView>),
        (status = 401, description = "Missing, malformed, unknown or revoked API key, or a disabled user", body = Problem, content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 429, description = "The key's rate limit is exhausted; see `Retry-After`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until the key may make another request"))),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    caller: ApiCaller,
    state: web::Data<AppState>,
    context: web::Data<ApiContext>,
) -> Result<HttpResponse, AppError> {
    let user_id = caller.user_id;
    let at = now();
    if let Some(body) = context.lists.get(user_id, caller.listing_version, at) {
        return Ok(json_body(body));
    }
    // The version was read with the key, before the rows: a write that lands in between makes the
    // rows newer than the version they are kept under, never older.
    let rows = state
        .db
        .run(move |conn| Ok(tokens::list_for_member(conn, user_id)?))
        .await?;
    let soon = TimeDelta::days(crate::tokens::status::EXPIRING_SOON_DAYS);
    let valid_until = rows
        .iter()
        .flat_map(|(t, _, _)| [t.access_expires_at - soon, t.access_expires_at])
        .filter(|boundary| *boundary > at)
        .min()
        .unwrap_or(NaiveDateTime::MAX);
    let body: Vec<AnafTokenView> = rows
        .into_iter()
        .map(|(token, cif, name)| AnafTokenView::from_summary(token, cif, name, at))
        .collect();
    let body =
        web::Bytes::from(serde_json::to_vec(&body).map_err(|e| AppError::Internal(e.into()))?);
    context
        .lists
        .put(user_id, caller.listing_version, valid_until, body.clone());
    Ok(json_body(body))
}

fn json_body(body: web::Bytes) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(body)
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
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "The token belongs to a company the caller is not a member of", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No token with this id", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit exhausted", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until the key may make another request"))),
    ),
    security(("bearer" = []))
)]
pub async fn show(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (token, company, _) = token_of_caller(&state, &caller, &path).await?;
    Ok(HttpResponse::Ok().json(AnafTokenView::new(&token, &company, now())))
}

/// Which company a posted token is for, from the `cif` field.
async fn company_for_given_cif(
    state: &AppState,
    caller: &ApiCaller,
    raw: &str,
) -> Result<Company, AppError> {
    let cif = Cif::parse(raw)
        .map_err(|problem| AppError::Unprocessable(format!("cif: {}", problem.describe())))?;
    let user_id = caller.user_id;
    let lookup = cif.clone();
    let found = state
        .db
        .run(move |conn| Ok(companies::find_by_cif_for_member(conn, &lookup, user_id)?))
        .await?;
    match found {
        Some((company, MemberRole::Admin)) => Ok(company),
        Some((_, MemberRole::Viewer)) => Err(AppError::Forbidden),
        None => Err(AppError::Unprocessable(format!(
            "cif: {} is not one of your companies; add it in the portal first",
            cif.as_str()
        ))),
    }
}

/// Asks ANAF which of the caller's companies the token has SPV rights for; exactly one must.
async fn company_by_rights(
    state: &AppState,
    caller: &ApiCaller,
    access: &SecretString,
) -> Result<Company, AppError> {
    let user_id = caller.user_id;
    let limit = i64::try_from(MAX_RIGHTS_PROBES + 1).unwrap_or(i64::MAX);
    let candidates = state
        .db
        .run(move |conn| Ok(companies::administered_by(conn, user_id, limit)?))
        .await?;
    if candidates.is_empty() {
        return Err(AppError::Unprocessable(
            "you administer no company: add the company in the portal, then send its `cif`"
                .to_owned(),
        ));
    }
    if candidates.len() > MAX_RIGHTS_PROBES {
        return Err(AppError::Unprocessable(format!(
            "you administer more than {MAX_RIGHTS_PROBES} companies: send `cif` to say which one \
             the token is for"
        )));
    }
    let mut verdicts = Vec::with_capacity(candidates.len());
    for chunk in candidates.chunks(PROBE_CONCURRENCY) {
        let probes = chunk.iter().map(|company| async move {
            let verdict = match Cif::parse(&company.cif) {
                Ok(cif) => state.tokens.anaf().probe_rights(access, &cif).await,
                Err(_) => RightsVerdict::Unknown("stored CIF is invalid".to_owned()),
            };
            (company.clone(), verdict)
        });
        verdicts.extend(futures_util::future::join_all(probes).await);
    }
    let granted: Vec<&Company> = verdicts
        .iter()
        .filter(|(_, v)| *v == RightsVerdict::Granted)
        .map(|(c, _)| c)
        .collect();
    let cifs = |companies: &[&Company]| {
        companies
            .iter()
            .map(|c| c.cif.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match granted.as_slice() {
        [one] => Ok((*one).clone()),
        [] => {
            let unknown: Vec<String> = verdicts
                .iter()
                .filter_map(|(c, v)| match v {
                    RightsVerdict::Unknown(why) => Some(format!("{} ({why})", c.cif)),
                    _ => None,
                })
                .collect();
            if unknown.is_empty() {
                let all: Vec<&Company> = verdicts.iter().map(|(c, _)| c).collect();
                Err(AppError::Unprocessable(format!(
                    "ANAF says the token has SPV rights for none of your companies (checked: {})",
                    cifs(&all)
                )))
            } else {
                Err(AppError::ServiceUnavailable(format!(
                    "ANAF could not confirm SPV rights for {}; try again later or send `cif`",
                    unknown.join(", ")
                )))
            }
        }
        several => Err(AppError::Unprocessable(format!(
            "the token has SPV rights for several of your companies ({}): send `cif` to choose one",
            cifs(several)
        ))),
    }
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
        (status = 400, description = "Malformed JSON, missing `token`, not a JWT, undecodable claims, an expired token, or ANAF rejected the token", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "`cif` names a company where the caller is only a viewer", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 64 KiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Content-Type is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The token is already stored; `cif` is invalid or not one of the caller's companies; or without `cif`, the token has rights for none or several of the caller's companies", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit exhausted", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until the key may make another request"))),
        (status = 502, description = "ANAF gave an unusable answer", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "ANAF could not be reached or is limiting requests", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    req: HttpRequest,
    caller: ApiCaller,
    state: web::Data<AppState>,
    context: web::Data<ApiContext>,
    body: web::Json<CreateTokenRequest>,
) -> Result<HttpResponse, AppError> {
    let CreateTokenRequest {
        token,
        cif,
        refresh_token,
    } = body.into_inner();
    let access = SecretString::from(token.trim().to_owned());
    drop(token);
    if access.expose_secret().is_empty() {
        return Err(AppError::BadRequest("`token` is empty".to_owned()));
    }
    let refresh = refresh_token
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty())
        .map(SecretString::from);

    // What the token itself says: shape, claims, signature (when ANAF's key is known), expiry.
    let claims = state
        .tokens
        .jwt()
        .read(access.expose_secret())
        .map_err(|problem| AppError::BadRequest(format!("invalid token: {problem}")))?;
    if claims.expires_at <= Utc::now() {
        return Err(AppError::BadRequest(format!(
            "invalid token: it expired at {}",
            utc_timestamp(claims.expires_at)
        )));
    }
    let fingerprint = sha256_hex(access.expose_secret());
    let probe = fingerprint.clone();
    if state
        .db
        .run(move |conn| Ok(tokens::fingerprint_exists(conn, &probe)?))
        .await?
    {
        return Err(AppError::Unprocessable(
            "this token is already stored".to_owned(),
        ));
    }
    let given = match cif.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(raw) => Some(company_for_given_cif(&state, &caller, raw).await?),
        None => None,
    };

    // ANAF's word: does it accept the token at all?
    match state.tokens.anaf().hello(&access).await {
        Ok(true) => {}
        Ok(false) => {
            return Err(AppError::BadRequest(
                "ANAF rejected the token (its OAuth test service refused it)".to_owned(),
            ));
        }
        Err(error) => return Err(anaf_failure(&error)),
    }
    let (company, rights_known) = match given {
        Some(company) => (company, false),
        None => (company_by_rights(&state, &caller, &access).await?, true),
    };

    let stored = {
        let _one_at_a_time = context.store_lock.lock().await;
        state
            .tokens
            .store(
                company.id,
                &access,
                refresh.as_ref(),
                "api",
                Some(caller.user_id),
            )
            .await
    };
    let meta = match stored {
        Ok(meta) => meta,
        Err(StorePairError::Duplicate) => {
            return Err(AppError::Unprocessable(
                "this token is already stored".to_owned(),
            ));
        }
        Err(StorePairError::Expired) => {
            return Err(AppError::BadRequest(
                "invalid token: it has already expired".to_owned(),
            ));
        }
        Err(StorePairError::Jwt(problem)) => {
            return Err(AppError::BadRequest(format!("invalid token: {problem}")));
        }
        Err(StorePairError::Other(e)) => return Err(AppError::Internal(e)),
    };
    if rights_known {
        let id = meta.id;
        let written = state
            .db
            .run(move |conn| Ok(tokens::record_rights(conn, id, Rights::Granted, None)?))
            .await;
        written?;
    } else {
        let cif = Cif::parse(&company.cif).map_err(|_| {
            AppError::Internal(anyhow::anyhow!("stored CIF {} is invalid", company.cif))
        })?;
        state.tokens.check_rights(meta.id, &access, &cif).await?;
    }
    access::audit(
        &state,
        access::actor(&req, &state, Some(caller.user_id)),
        "token.saved_via_api",
        Some(company.id),
        Some(meta.id),
        Outcome::Success,
        Some(format!(
            "API key {}{}",
            caller.key_id,
            if refresh.is_some() {
                ""
            } else {
                "; no refresh token"
            }
        )),
    )
    .await;
    let view = load_view(&state, meta.id).await?;
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
    description = "Asks ANAF to revoke the token (best effort), then deletes it from the portal. \
        e-Factura synchronisation stops for the company. Company admins only; audited.",
    params(("id" = i64, Path, description = "The token id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "The token belongs to a company the caller does not administer", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No token with this id", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit exhausted", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until the key may make another request"))),
    ),
    security(("bearer" = []))
)]
pub async fn delete(
    req: HttpRequest,
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (token, company, role) = token_of_caller(&state, &caller, &path).await?;
    forbidden_unless_admin(role)?;
    let revoked = state.tokens.delete(token.id).await?;
    access::audit(
        &state,
        access::actor(&req, &state, Some(caller.user_id)),
        "token.deleted",
        Some(company.id),
        Some(token.id),
        Outcome::Success,
        Some(match revoked {
            RevokeOutcome::Confirmed => "through the API; revoked at ANAF".to_owned(),
            RevokeOutcome::NotConfirmed => {
                "through the API; ANAF did not confirm revocation".to_owned()
            }
        }),
    )
    .await;
    Ok(HttpResponse::NoContent().finish())
}

async fn audit_refresh(
    req: &HttpRequest,
    state: &AppState,
    caller: &ApiCaller,
    token: &TokenMeta,
    outcome: &RefreshOutcome,
) {
    let (action, result, detail) = match outcome {
        RefreshOutcome::Refreshed(_) => ("token.refreshed", Outcome::Success, None),
        RefreshOutcome::ReconnectNeeded(why) | RefreshOutcome::Failed(why) => {
            ("token.refresh_failed", Outcome::Failure, Some(why.clone()))
        }
        RefreshOutcome::NoRefreshToken => (
            "token.refresh_failed",
            Outcome::Failure,
            Some("no refresh token".to_owned()),
        ),
    };
    access::audit(
        state,
        access::actor(req, state, Some(caller.user_id)),
        action,
        Some(token.company_id),
        Some(token.id),
        result,
        detail.map(|d| format!("{d} (through the API)")),
    )
    .await;
}

const RECONNECT: &str = "ANAF refused this token's refresh token for good: the company must \
                         reconnect with its certificate (Connect ANAF in the portal)";
const NO_REFRESH: &str = "this token was saved without a refresh token and cannot be refreshed: \
                          save it again with `refreshToken`, or reconnect the company";

fn refresh_error(outcome: &RefreshOutcome) -> AppError {
    match outcome {
        RefreshOutcome::Refreshed(_) => AppError::Internal(anyhow::anyhow!("not an error")),
        RefreshOutcome::ReconnectNeeded(_) => AppError::Conflict(RECONNECT.to_owned()),
        RefreshOutcome::NoRefreshToken => AppError::Conflict(NO_REFRESH.to_owned()),
        RefreshOutcome::Failed(why) => refresh_failure(why),
    }
}

fn company_cif(company: &Company) -> Result<Cif, AppError> {
    Cif::parse(&company.cif)
        .map_err(|_| AppError::Internal(anyhow::anyhow!("stored CIF {} is invalid", company.cif)))
}

#[utoipa::path(
    post,
    path = "/api/v1/anaf/tokens/{id}/refresh",
    tag = "ANAF tokens",
    operation_id = "refreshToken",
    summary = "Refresh an ANAF token now",
    description = "Exchanges the stored refresh token at ANAF for a new pair. At most one refresh \
        of a token runs at a time across every instance; a concurrent caller gets the same result. \
        Company admins only; audited.",
    params(("id" = i64, Path, description = "The token id")),
    responses(
        (status = 200, description = "Refreshed", body = AnafTokenView),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "The token belongs to a company the caller does not administer", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No token with this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Reconnect needed (ANAF refused the refresh token for good), or no refresh token is stored", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit exhausted", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until the key may make another request"))),
        (status = 502, description = "ANAF gave an unusable answer; the token is unchanged", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "ANAF could not be reached or is limiting requests; the token is unchanged", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn refresh(
    req: HttpRequest,
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (token, company, role) = token_of_caller(&state, &caller, &path).await?;
    forbidden_unless_admin(role)?;
    if token.state() == TokenState::ReconnectNeeded {
        return Err(AppError::Conflict(RECONNECT.to_owned()));
    }
    let outcome = state
        .tokens
        .refresh(token.id, &company_cif(&company)?)
        .await?;
    audit_refresh(&req, &state, &caller, &token, &outcome).await;
    match outcome {
        RefreshOutcome::Refreshed(meta) => {
            Ok(HttpResponse::Ok().json(AnafTokenView::new(&meta, &company, now())))
        }
        other => Err(refresh_error(&other)),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/anaf/tokens/{id}/access-token",
    tag = "ANAF tokens",
    operation_id = "getAccessToken",
    summary = "The decrypted access token, for calling ANAF",
    description = "Refreshes the token first when it expires within 24 hours (single-flight, as \
        in the portal); when that refresh fails but the current token is still unexpired, the \
        current token is returned. Company admins only; every call is audited.",
    params(("id" = i64, Path, description = "The token id")),
    responses(
        (status = 200, description = "The access token", body = AccessTokenView),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "The token belongs to a company the caller does not administer", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No token with this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The access token has expired and cannot be refreshed (reconnect needed or no refresh token)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit exhausted", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until the key may make another request"))),
        (status = 502, description = "The token has expired and ANAF gave an unusable answer to the refresh", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The token has expired and ANAF could not be reached to refresh it", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn access_token(
    req: HttpRequest,
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (mut token, company, role) = token_of_caller(&state, &caller, &path).await?;
    forbidden_unless_admin(role)?;
    let due = now() + TimeDelta::hours(REFRESH_WITHIN_HOURS);
    if token.access_expires_at <= due
        && token.has_refresh_token
        && token.state() != TokenState::ReconnectNeeded
    {
        let outcome = state
            .tokens
            .refresh(token.id, &company_cif(&company)?)
            .await?;
        audit_refresh(&req, &state, &caller, &token, &outcome).await;
        match outcome {
            RefreshOutcome::Refreshed(meta) => token = *meta,
            other if token.access_expires_at <= now() => return Err(refresh_error(&other)),
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
    let secret = state.tokens.reveal_access_token(token.id).await?;
    access::audit(
        &state,
        access::actor(&req, &state, Some(caller.user_id)),
        "token.revealed",
        Some(company.id),
        Some(token.id),
        Outcome::Success,
        Some(format!("through the API (key {})", caller.key_id)),
    )
    .await;
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
