//! The API's JSON representation of tokens: what the list, show, save, refresh and
//! access-token calls answer and accept, and how a token's rows become that answer.

use std::collections::HashMap;

use chrono::NaiveDateTime;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{Cif, RefreshSchedule, RefreshState, Rights, TokenFacts, TokenId};
use crate::http::api::ApiCaller;
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::services::now;
use crate::services::tokens::queries::{Company, MemberToken, MemberTokens, TokenMeta};
pub use crate::services::webhooks::payload::timestamp;

/// What the API accepts as a CIF, as the OpenAPI document says it: digits (2 to 10), optionally
/// after `RO` in any case, with spaces anywhere (`Cif::parse` drops them). The check digit is
/// checked too, which no pattern can say.
pub const CIF_INPUT_PATTERN: &str = r"^\s*([Rr]\s*[Oo])?\s*([0-9]\s*){2,10}$";

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
        token: &TokenMeta,
        home: (Cif, Option<&str>),
        cifs: Vec<Cif>,
        at: NaiveDateTime,
    ) -> Self {
        let facts = token.facts;
        let (cif, name) = home;
        AnafTokenView {
            id: token.id.get(),
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
            refresh: RefreshView::new(&facts, &token.schedule, token.last_error.clone(), at),
        }
    }

    /// One token as `user_id` sees it (see `for_member`); as `meta` says it served `company`
    /// when it is gone already (a later save replaced it).
    pub async fn of(
        state: &AppState,
        meta: &TokenMeta,
        company: &Company,
        caller: &ApiCaller,
    ) -> Result<Self, AppError> {
        let seen = for_member(state, caller, Some(meta.id), None).await?.pop();
        Ok(seen.unwrap_or_else(|| {
            AnafTokenView::new(
                meta,
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

/// A refresh that goes on after the answer (`202 Accepted`): where to look for its result.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefreshPending {
    /// The token id.
    #[schema(value_type = i64)]
    pub id: TokenId,
    /// `in_progress` (ANAF has not answered yet) or `saving` (ANAF answered; the new pair is kept
    /// safe and saved as soon as the database is available again).
    #[schema(value_type = String, pattern = "^(in_progress|saving)$")]
    pub refresh: &'static str,
    /// What to do: read the token (`Location`) again in a little while.
    pub detail: &'static str,
}

/// The tokens serving `user_id`'s companies (or only `token_id`), one entry each, oldest first:
/// `cif` is the company it was first connected for, `cifs` the caller's companies it serves, and
/// the status follows the best rights verdict among them. With `only_cif`, the tokens with
/// confirmed rights for that CIF, the valid one with the latest expiry first. Two queries (one service call).
pub async fn for_member(
    state: &AppState,
    caller: &ApiCaller,
    token_id: Option<TokenId>,
    only_cif: Option<Cif>,
) -> Result<Vec<AnafTokenView>, AppError> {
    let MemberTokens { mut rows, homes } =
        state.tokens.member_tokens(caller.user_id, token_id).await?;
    // A key limited to some companies sees only the tokens serving those, with only their CIFs.
    rows.retain(|row| caller.scope.covers(row.company.id));
    let mut homes: HashMap<TokenId, Company> = homes
        .into_iter()
        .map(|home| (home.token_id, home.company))
        .collect();
    for row in &rows {
        if row.company.id == row.token.company_id {
            homes.insert(row.token.id, row.company.clone());
        }
    }
    let at = now();
    let mut entries: Vec<(TokenMeta, Vec<Cif>)> = Vec::new();
    for MemberToken {
        token: row,
        company,
        ..
    } in rows
    {
        let cif = company.cif;
        let chosen = only_cif.as_ref().is_none_or(|only| *only == cif);
        match entries.last_mut() {
            Some((token, cifs)) if token.id == row.id => {
                if chosen && rank(row.facts.rights) > rank(token.facts.rights) {
                    token.facts.rights = row.facts.rights;
                }
                cifs.push(cif);
            }
            _ => {
                let mut row = row;
                if !chosen {
                    row.facts.rights = Rights::Denied;
                }
                entries.push((row, vec![cif]));
            }
        }
    }
    if let Some(only) = &only_cif {
        entries
            .retain(|(token, cifs)| cifs.contains(only) && token.facts.rights == Rights::Granted);
        entries.sort_by_key(|(token, _)| {
            let facts = token.facts;
            (
                std::cmp::Reverse(facts.is_valid(at)),
                std::cmp::Reverse(facts.access_expires_at),
            )
        });
    }
    Ok(entries
        .into_iter()
        .filter_map(|(token, mut cifs)| {
            let home = homes.get(&token.id)?;
            cifs.sort_by(|a, b| (a.as_str().len(), a).cmp(&(b.as_str().len(), b)));
            cifs.dedup();
            Some(AnafTokenView::new(
                &token,
                (home.cif.clone(), home.name.as_deref()),
                cifs,
                at,
            ))
        })
        .collect())
}
