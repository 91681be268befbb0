//! `/api/v1/webhooks`: list, register and delete the webhook endpoints of the companies the
//! caller administers. The signing secret is in the answer to the registration only.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{Cif, EventKind, MemberRole};
use crate::domain::{CompanyId, EndpointId};
use crate::http::api::ApiCaller;
use crate::http::api::json::ApiJson;
use crate::http::api::problem::{CallerErrors, Problem};
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::services::companies::Company;
use crate::services::webhooks::Endpoint;
use crate::services::webhooks::RegisterError;
use crate::services::webhooks::payload::timestamp;

/// A webhook endpoint.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = WebhookEndpoint, example = json!({
    "id": 5, "companyId": 7, "cif": "18547290", "url": "https://erp.example.ro/anaf/webhooks",
    "events": ["token.expiring", "token.reconnect_needed"], "description": "ERP",
    "state": "active", "createdAt": "2026-03-16T10:30:00Z", "failingSince": null,
    "disabledAt": null, "disabledReason": null
}))]
pub struct EndpointView {
    #[schema(value_type = i64)]
    pub id: EndpointId,
    /// The company whose events are posted.
    #[schema(value_type = i64)]
    pub company_id: CompanyId,
    #[schema(value_type = String, pattern = "^[0-9]{2,10}$", example = "18547290")]
    pub cif: Cif,
    pub url: String,
    #[schema(schema_with = posted_events)]
    pub events: Vec<&'static str>,
    pub description: Option<String>,
    /// `active`, `failing` (deliveries have failed since `failingSince`, none succeeding) or
    /// `disabled` (failing for 5 days; a company admin enables it again in the portal).
    #[schema(value_type = String, pattern = "^(active|failing|disabled)$")]
    pub state: &'static str,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub failing_since: Option<String>,
    #[schema(format = DateTime)]
    pub disabled_at: Option<String>,
    pub disabled_reason: Option<String>,
}

impl EndpointView {
    fn new(endpoint: Endpoint, cif: Cif) -> EndpointView {
        EndpointView {
            id: endpoint.id,
            company_id: endpoint.company_id,
            cif,
            events: endpoint
                .kinds()
                .into_iter()
                .map(EventKind::as_str)
                .collect(),
            state: endpoint.state().code(),
            created_at: timestamp(endpoint.created_at),
            failing_since: endpoint.failing_since.map(timestamp),
            disabled_at: endpoint.disabled_at.map(timestamp),
            disabled_reason: endpoint.disabled_reason,
            description: endpoint.description,
            url: endpoint.url,
        }
    }
}

/// A new endpoint, with its signing secret: the only time it is shown.
// Not `Debug`: it holds the secret.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedEndpointView {
    #[serde(flatten)]
    pub endpoint: EndpointView,
    /// The Standard Webhooks signing secret (`whsec_` + base64). Verify each request's
    /// `webhook-signature` with it. Shown only in this answer.
    #[schema(value_type = String, example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    #[serde(serialize_with = "expose")]
    pub secret: SecretString,
}

fn expose<S: serde::Serializer>(secret: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(secret.expose_secret())
}

/// The names of the events a webhook carries, as a schema item: one of an enum.
fn event_name() -> utoipa::openapi::schema::ObjectBuilder {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(EventKind::FOR_WEBHOOKS.map(EventKind::as_str)))
}

/// `events` of an endpoint as the API shows it.
fn posted_events() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(event_name())
        .description(Some("The events posted to it."))
        .build()
}

/// `events` of a registration: at least one name of the enum (a name may come twice; it
/// counts once).
fn events_to_post() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(event_name())
        .min_items(Some(1))
        .description(Some("The events to post: at least one."))
        .build()
}

/// `companyId` as the JSON may write it: an integer, also in a form such as `7.0` or `7e0`
/// (JSON Schema's `integer` is any number without a fractional part, and some JSON writers put
/// one in); `7.5`, a string or a number out of range is refused.
fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    struct WholeNumber;
    impl serde::de::Visitor<'_> for WholeNumber {
        type Value = Option<i64>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an integer")
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Option<i64>, E> {
            Ok(None)
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Option<i64>, E> {
            Ok(Some(v))
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Option<i64>, E> {
            i64::try_from(v)
                .map(Some)
                .map_err(|_| E::invalid_value(serde::de::Unexpected::Unsigned(v), &self))
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Option<i64>, E> {
            // Within ±2^53 every whole f64 is exact, and far beyond any id.
            const EXACT: f64 = 9_007_199_254_740_992.0;
            if v.fract() == 0.0 && v.abs() <= EXACT {
                Ok(Some(v as i64))
            } else {
                Err(E::invalid_value(serde::de::Unexpected::Float(v), &self))
            }
        }
    }
    d.deserialize_any(WholeNumber)
}

/// The body of `POST /api/v1/webhooks`.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({
    "cif": "18547290", "url": "https://erp.example.ro/anaf/webhooks",
    "events": ["token.expiring", "token.reconnect_needed"], "description": "ERP"
}))]
pub struct CreateEndpointRequest {
    /// The company, by its id in the portal; or give `cif`. An integer (`7`; `7.0` is read as
    /// `7`).
    #[serde(default, deserialize_with = "whole_number")]
    pub company_id: Option<i64>,
    /// The company, by its CIF (digits, optionally with `RO`; the check digit must be right);
    /// or give `companyId`.
    #[serde(default)]
    #[schema(
        min_length = 2,
        pattern = r"^\s*([Rr]\s*[Oo])?\s*([0-9]\s*){2,10}$",
        example = "RO18547290"
    )]
    pub cif: Option<String>,
    /// Where to post: `https://` or `http://`, no user name or password, at most 2000
    /// characters, not a loopback, private or link-local address.
    pub url: String,
    #[schema(schema_with = events_to_post)]
    pub events: Vec<String>,
    /// A note for people (at most 200 characters).
    #[serde(default)]
    pub description: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/webhooks",
    tag = "Webhooks",
    operation_id = "listWebhookEndpoints",
    summary = "List webhook endpoints",
    description = "The endpoints of every company the caller is a company admin of. Secrets are never shown again.",
    responses(
        (status = 200, description = "The endpoints", body = Vec<EndpointView>),
        CallerErrors,
    ),
    security(("bearer" = []))
)]
pub async fn list(caller: ApiCaller, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let rows = state.webhooks.endpoints_for_admin(caller.user_id).await?;
    let body: Vec<EndpointView> = rows
        .into_iter()
        .filter(|(endpoint, _)| caller.scope.covers(endpoint.company_id))
        .map(|(endpoint, cif)| EndpointView::new(endpoint, cif))
        .collect();
    Ok(HttpResponse::Ok().json(body))
}

/// The company the body names, when the caller administers it.
async fn company_named(
    state: &AppState,
    caller: &ApiCaller,
    company_id: Option<CompanyId>,
    cif: Option<&str>,
) -> Result<Company, AppError> {
    let cif = cif
        .map(|raw| {
            Cif::parse(raw).map_err(|e| AppError::Unprocessable(format!("`cif` is invalid: {e}")))
        })
        .transpose()?;
    let user_id = caller.user_id;
    let found = match (company_id, cif) {
        (None, None) => {
            return Err(AppError::Unprocessable(
                "name the company: `companyId` or `cif`".to_owned(),
            ));
        }
        (Some(id), cif) => {
            let found = state.companies.membership(id, user_id).await?;
            found.filter(|(c, _)| cif.as_ref().is_none_or(|cif| &c.cif == cif))
        }
        (None, Some(cif)) => state.companies.membership_by_cif(cif, user_id).await?,
    };
    match found {
        Some((company, _)) if !caller.scope.covers(company.id) => Err(AppError::NotPermitted(
            "this API key may not act for that company".to_owned(),
        )),
        Some((company, MemberRole::Admin)) => Ok(company),
        Some((_, MemberRole::Viewer)) => Err(AppError::Forbidden),
        None => Err(AppError::Unprocessable(
            "`companyId`/`cif` does not name one of your companies".to_owned(),
        )),
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/webhooks",
    tag = "Webhooks",
    operation_id = "createWebhookEndpoint",
    summary = "Register a webhook endpoint",
    description = "Registers an endpoint for one of the caller's companies (company admins only; audited). \
        The answer holds the signing secret, shown only this once. Requests are signed as \
        Standard Webhooks specifies; see the document's `webhooks` for each event's payload.",
    request_body(content = CreateEndpointRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Registered", body = CreatedEndpointView,
            headers(("Location" = String, description = "The endpoint's URL (for DELETE)"))),
        (status = 400, description = "Malformed JSON, a body that is not a JSON object, a missing `url` or `events`, or a field of the wrong type", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The company named is one where the caller is only a viewer", body = Problem, content_type = "application/problem+json"),
        (status = 408, description = "The body did not arrive within `ANAF_PORTAL_REQUEST_BODY_TIMEOUT`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The company already has an endpoint with this URL, or 10 endpoints", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 64 KiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Content-Type is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No company named, or not one of the caller's; an invalid CIF; a URL that is not https/http, has a user name or password, is too long, or is a loopback, private or link-local address; no event, or an unknown one; a description over 200 characters", body = Problem, content_type = "application/problem+json"),
        CallerErrors,
    ),
    security(("bearer" = []))
)]
pub async fn create(
    req: HttpRequest,
    caller: ApiCaller,
    state: web::Data<AppState>,
    ApiJson(body): ApiJson<CreateEndpointRequest>,
) -> Result<HttpResponse, AppError> {
    let company_id = body.company_id.map(CompanyId);
    let company = company_named(&state, &caller, company_id, body.cif.as_deref()).await?;
    let registration = state.webhooks.parse(
        &body.url,
        body.events.iter().map(String::as_str),
        body.description.as_deref(),
    )?;
    let (endpoint, secret) = state
        .webhooks
        .register(&caller.actor(&req, &state), company.id, registration)
        .await?;
    let view = CreatedEndpointView {
        endpoint: EndpointView::new(endpoint, company.cif),
        secret: secret.as_secret().clone(),
    };
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/webhooks/{}", view.endpoint.id),
        ))
        .json(view))
}

impl From<RegisterError> for AppError {
    fn from(e: RegisterError) -> Self {
        match e {
            RegisterError::TooMany | RegisterError::Duplicate => AppError::Conflict(e.to_string()),
            RegisterError::Internal(e) => AppError::Internal(e),
            other => AppError::Unprocessable(other.to_string()),
        }
    }
}

#[utoipa::path(
    delete,
    path = "/api/v1/webhooks/{id}",
    tag = "Webhooks",
    operation_id = "deleteWebhookEndpoint",
    summary = "Delete a webhook endpoint",
    description = "Deletes the endpoint with its delivery log; nothing more is posted to it. Company admins only; audited.",
    params(("id" = i64, Path, description = "The endpoint id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Missing, malformed, unknown or revoked API key, or a disabled user", body = Problem, content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "The endpoint belongs to a company where the caller is only a viewer", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No endpoint with this id among the caller's companies", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "The key's rate limit is exhausted; see `Retry-After`", body = Problem, content_type = "application/problem+json",
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
    let id: EndpointId = path.parse().map_err(|_| AppError::NotFound)?;
    // A company the caller is not a member of is not revealed: 404, as for an unknown id.
    let found = state
        .webhooks
        .endpoint_for_member(id, caller.user_id)
        .await?;
    let (endpoint, role) = found.ok_or(AppError::NotFound)?;
    if !caller.scope.covers(endpoint.company_id) {
        return Err(AppError::NotPermitted(
            "this API key may not act for that company".to_owned(),
        ));
    }
    if role != MemberRole::Admin {
        return Err(AppError::Forbidden);
    }
    let deleted = state
        .webhooks
        .delete(
            &caller.actor(&req, &state),
            endpoint.company_id,
            endpoint.id,
        )
        .await?;
    if !deleted {
        return Err(AppError::NotFound);
    }
    Ok(HttpResponse::NoContent().finish())
}
