//! `/api/v1/api-keys`: what each of the caller's keys may do, and which one is calling.
//! Keys are created and revoked on the portal's settings page, where a person is present.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::{ApiKeyId, KeyCompanies, Permission};
use crate::http::api::ApiCaller;
use crate::http::api::problem::CallerErrors;
use crate::http::api::tokens::timestamp;
use crate::http::error::AppError;
use crate::http::state::AppState;

/// One of the caller's keys, never the key itself.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ApiKey, example = json!({
    "id": 3, "name": "ERP", "prefix": "anaf_Q2xhdWRp", "current": true,
    "permissions": ["efactura:read", "efactura:write"], "allCompanies": false,
    "cifs": ["18547290"], "createdAt": "2026-12-01T09:00:00Z", "lastUsedAt": null
}))]
pub struct ApiKeyView {
    #[schema(value_type = i64)]
    pub id: ApiKeyId,
    pub name: String,
    /// The key's first characters, to tell keys apart.
    pub prefix: String,
    /// Whether this is the key that made the request.
    pub current: bool,
    /// Of `efactura:read`, `efactura:write`, `tokens:read`, `tokens:write`, `tokens:secret`.
    /// For a company where the key's owner is a viewer, only the reading ones apply.
    pub permissions: Vec<&'static str>,
    /// Whether it may act for every company of its owner's (then `cifs` is empty).
    pub all_companies: bool,
    pub cifs: Vec<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub last_used_at: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/api-keys",
    tag = "API keys",
    operation_id = "listApiKeys",
    summary = "What the caller's API keys may do",
    description = "Every key of the caller's that is not revoked, newest first, with its \
        permissions and companies; `current` marks the key that made the request. Any key may \
        ask, whatever its permissions.",
    responses(
        (status = 200, description = "The keys", body = Vec<ApiKeyView>),
        CallerErrors,
    ),
    security(("bearer" = []))
)]
pub async fn list(caller: ApiCaller, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let keys = state.accounts.active_api_keys(caller.user_id).await?;
    let companies = state.companies.of_member(caller.user_id, i64::MAX).await?;
    let body: Vec<ApiKeyView> = keys
        .into_iter()
        .map(|(key, scope)| ApiKeyView {
            id: key.id,
            current: key.id == caller.key_id,
            name: key.name,
            prefix: key.prefix,
            permissions: scope.permissions.iter().map(Permission::as_str).collect(),
            all_companies: scope.companies == KeyCompanies::All,
            cifs: match &scope.companies {
                KeyCompanies::All => Vec::new(),
                KeyCompanies::Only(ids) => companies
                    .iter()
                    .filter(|(company, _)| ids.contains(&company.id))
                    .map(|(company, _)| company.cif.to_string())
                    .collect(),
            },
            created_at: timestamp(key.created_at),
            last_used_at: key.last_used_at.map(timestamp),
        })
        .collect();
    Ok(HttpResponse::Ok().json(body))
}
