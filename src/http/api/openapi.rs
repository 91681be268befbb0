//! The OpenAPI 3.1 document (`/api/openapi.json`) and a Swagger UI (`/api/docs`) served from the
//! binary: swagger-ui's files come from `utoipa-swagger-ui`'s vendored copy, the page and its
//! start-up script are ours (the portal's CSP allows no inline script).

use std::sync::{Arc, OnceLock};

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, web};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::domain::EventKind;
use crate::http::api::problem::Problem;
use crate::http::api::{VersionedPaths, keys, tokens, webhooks};
use crate::http::error::AppError;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "anaf-portal API",
        description = "Read and manage the ANAF e-Factura OAuth tokens of your companies.\n\n\
            Authenticate with an API key from the portal's *API keys* page (or \
            `anaf-portal api-key create`): `Authorization: Bearer anaf_…`. Each key may make \
            `ANAF_PORTAL_API_RATE_LIMIT` requests (default 600 a minute); past it the answer is \
            429 with `Retry-After`. Every error is an RFC 9457 problem detail \
            (`application/problem+json`). Timestamps are ISO 8601 in UTC (`2026-03-16T10:30:00Z`).",
        license(name = "MIT", identifier = "MIT"),
    ),
    components(schemas(
        tokens::AnafTokenView,
        tokens::CreateTokenRequest,
        tokens::AccessTokenView,
        tokens::RefreshPending,
        keys::ApiKeyView,
        webhooks::EndpointView,
        webhooks::CreatedEndpointView,
        webhooks::CreateEndpointRequest,
        crate::services::webhooks::payload::WebhookPayload,
        crate::services::webhooks::payload::WebhookEventData,
        Problem,
    )),
    modifiers(&BearerScheme, &WebhookEvents),
    tags(
        (name = "ANAF tokens", description = "ANAF OAuth tokens for e-Factura"),
        (name = "API keys", description = "What the caller's keys may do (keys are made on the portal's settings page)"),
        (name = "Webhooks", description = "Endpoints the portal posts token events to (Standard Webhooks); each event's request is under the document's `webhooks`"),
    ),
)]
pub struct ApiDoc;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "bearer",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("anaf_ API key")
                        .description(Some(
                            "An API key created in the portal (API keys page) or with \
                             `anaf-portal api-key create`",
                        ))
                        .build(),
                ),
            );
        }
    }
}

/// The requests the portal sends to webhook endpoints, one per event kind (OpenAPI 3.1
/// `webhooks`).
struct WebhookEvents;

impl WebhookEvents {
    fn about(kind: EventKind) -> &'static str {
        match kind {
            EventKind::Connected => {
                "A token was saved: Connect ANAF, or a token saved through the API."
            }
            EventKind::Refreshed => "The token was refreshed (by the engine, a person or the API).",
            EventKind::Expiring => {
                "The date by which someone must act (`actBy`) is 14, 7, 3 or 1 days away (`detail`); \
                 `cause` says why: `reconnect_before` or `refresh_failing`. Once per threshold and date."
            }
            EventKind::RefreshFailing => {
                "Refreshes have been failing for longer than `ANAF_PORTAL_REFRESH_FAILING_AFTER`."
            }
            EventKind::ReconnectNeeded => {
                "ANAF refused the refresh token for good: the company must reconnect."
            }
            EventKind::RightsLost => {
                "ANAF says the certificate no longer has SPV rights for the CIF."
            }
            EventKind::Deleted => "The token was deleted from the portal.",
            EventKind::Detached | EventKind::WebhookDisabled => "",
        }
    }
}

impl Modify for WebhookEvents {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::{
            HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
        };
        use utoipa::openapi::request_body::RequestBodyBuilder;
        use utoipa::openapi::{
            ContentBuilder, ObjectBuilder, PathsBuilder, Ref, Required, ResponseBuilder, Type,
        };
        let header = |name: &str, description: &str| {
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Header)
                .required(Required::True)
                .description(Some(description))
                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                .build()
        };
        let mut paths = PathsBuilder::new();
        for kind in EventKind::FOR_WEBHOOKS {
            let operation = OperationBuilder::new()
                .operation_id(Some(kind.as_str()))
                .tag("Webhooks")
                .summary(Some(format!("`{}`", kind.as_str())))
                .description(Some(format!(
                    "{} Posted as JSON to each endpoint subscribed to `{}`, signed as Standard \
                     Webhooks specifies: `webhook-signature` is `v1,` and the base64 HMAC-SHA256 \
                     of `{{webhook-id}}.{{webhook-timestamp}}.{{body}}` under the endpoint's secret \
                     (the base64 after `whsec_`). A 2xx answer within 10 s is a delivery; \
                     anything else is retried (5 s, 5 min, 30 min, 2 h, 5 h, then every 10 h) \
                     for 24 hours. Redirects are not followed.",
                    Self::about(kind),
                    kind.as_str()
                )))
                .parameter(header(
                    "webhook-id",
                    "`evt_<eventId>`: the same for every endpoint and attempt; drop repeats",
                ))
                .parameter(header(
                    "webhook-timestamp",
                    "When this attempt was sent, in Unix seconds; refuse old ones",
                ))
                .parameter(header(
                    "webhook-signature",
                    "`v1,<base64 HMAC-SHA256>`",
                ))
                .request_body(Some(
                    RequestBodyBuilder::new()
                        .required(Some(Required::True))
                        .content(
                            "application/json",
                            ContentBuilder::new()
                                .schema(Some(Ref::from_schema_name("WebhookPayload")))
                                .build(),
                        )
                        .build(),
                ))
                .response(
                    "2XX",
                    ResponseBuilder::new().description("Received: the delivery is done"),
                );
            paths = paths.path(kind.as_str(), PathItem::new(HttpMethod::Post, operation));
        }
        openapi.webhooks = Some(paths.build());
    }
}

/// The document as pretty JSON, built once.
pub fn document_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        let mut document = ApiDoc::openapi();
        document.merge(VersionedPaths::openapi());
        document
            .to_pretty_json()
            .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    })
}

pub async fn document() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document_json())
}

const DOCS_PAGE: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>anaf-portal API</title>
  <link rel="stylesheet" href="/api/docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/api/docs/swagger-ui-bundle.js"></script>
  <script src="/api/docs/swagger-ui-standalone-preset.js"></script>
  <script src="/api/docs/docs.js"></script>
</body>
</html>
"#;

const DOCS_SCRIPT: &str = r##"// Starts Swagger UI on the portal's own OpenAPI document; no request leaves the portal.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: "StandaloneLayout",
  });
});
"##;

/// Everything from the portal itself, no inline script or style: the one `<style>` element
/// Swagger UI (utoipa-swagger-ui 10.0.2) inserts is allowed by its hash. A new Swagger UI with
/// another inline style fails the Chromium test of this page, which lists the violation.
const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='; \
     img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
     frame-ancestors 'none'; form-action 'self'";

fn with_docs_csp(mut response: HttpResponse) -> HttpResponse {
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(DOCS_CSP),
    );
    response
}

pub async fn docs_page() -> HttpResponse {
    with_docs_csp(
        HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(DOCS_PAGE),
    )
}

/// The files the page loads: swagger-ui's CSS and bundles, and our start-up script.
const SWAGGER_FILES: &[&str] = &[
    "swagger-ui.css",
    "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js",
    "favicon-32x32.png",
    "favicon-16x16.png",
];

pub async fn docs_asset(file: web::Path<String>) -> Result<HttpResponse, AppError> {
    let name = file.into_inner();
    if name == "docs.js" {
        return Ok(with_docs_csp(
            HttpResponse::Ok()
                .content_type("text/javascript; charset=utf-8")
                .body(DOCS_SCRIPT),
        ));
    }
    if !SWAGGER_FILES.contains(&name.as_str()) {
        return Err(AppError::NotFound);
    }
    let config = Arc::new(utoipa_swagger_ui::Config::from("/api/openapi.json"));
    let served = utoipa_swagger_ui::serve(&name, config)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("swagger-ui {name}: {e}")))?
        .ok_or(AppError::NotFound)?;
    Ok(with_docs_csp(
        HttpResponse::Ok()
            .content_type(served.content_type)
            .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
            .body(served.bytes.into_owned()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_is_openapi_3_1_with_every_route() {
        let doc: serde_json::Value = serde_json::from_str(document_json()).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1."));
        for path in [
            "/api/v1/anaf/tokens",
            "/api/v1/anaf/tokens/{id}",
            "/api/v1/anaf/tokens/{id}/refresh",
            "/api/v1/anaf/tokens/{id}/access-token",
        ] {
            assert!(doc["paths"][path].is_object(), "{path} documented");
        }
        assert_eq!(
            doc["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
        for kind in EventKind::FOR_WEBHOOKS {
            let hook = &doc["webhooks"][kind.as_str()]["post"];
            assert_eq!(
                hook["requestBody"]["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/WebhookPayload",
                "{kind} documented"
            );
        }
        assert!(
            doc["webhooks"]["webhook.disabled"].is_null(),
            "internal only"
        );
    }

    #[test]
    fn the_document_says_what_the_api_accepts() {
        let doc: serde_json::Value = serde_json::from_str(document_json()).unwrap();
        let schemas = &doc["components"]["schemas"];
        // Written three times as attribute literals (utoipa takes no constant): one pattern.
        let list_cif = doc["paths"]["/api/v1/anaf/tokens"]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "cif")
            .unwrap()["schema"]
            .clone();
        for cif in [
            &schemas["CreateTokenRequest"]["properties"]["cif"],
            &schemas["CreateEndpointRequest"]["properties"]["cif"],
            &list_cif,
        ] {
            assert_eq!(cif["pattern"], tokens::CIF_INPUT_PATTERN, "{cif}");
            assert_eq!(cif["minLength"], 2, "{cif}");
        }
        let names: Vec<&str> = EventKind::FOR_WEBHOOKS.map(EventKind::as_str).to_vec();
        for events in [
            &schemas["CreateEndpointRequest"]["properties"]["events"],
            &schemas["WebhookEndpoint"]["properties"]["events"],
        ] {
            assert_eq!(
                events["items"]["enum"],
                serde_json::json!(names),
                "{events}"
            );
        }
        assert_eq!(
            schemas["CreateEndpointRequest"]["properties"]["events"]["minItems"],
            1
        );
        let refresh = &doc["paths"]["/api/v1/anaf/tokens/{id}/refresh"]["post"];
        assert!(refresh["responses"]["400"].is_object(), "{refresh}");
    }
}
