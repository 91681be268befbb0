//! The shapes e-Factura answers in: XML headers for upload and stareMesaj, `eroare` JSON for the
//! lists and descarcare, `stare` JSON for validare, the firewall's HTML page. Most errors are
//! HTTP 200: a client has to read the body.

use actix_web::HttpResponse;
use chrono::{DateTime, Utc};
use rand::Rng;
use serde_json::json;

use super::super::SimEndpoint;
use super::anaf_timestamp;

const XML_DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#;
pub(crate) const UPLOAD_NAMESPACE: &str = "mfp:anaf:dgti:spv:respUploadFisier:v1";
pub(crate) const STARE_NAMESPACE: &str = "mfp:anaf:dgti:efactura:stareMesajFactura:v1";
pub(crate) const LISTA_TITLU: &str = "Lista Mesaje";
pub(crate) const DESCARCARE_TITLU: &str = "Descarcare";

/// Escapes text for an XML attribute value or element content.
pub(crate) fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

fn xml(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/xml")
        .body(format!("{XML_DECLARATION}\n{body}"))
}

/// upload's success: `ExecutionStatus="0"` and the upload index.
pub(crate) fn upload_accepted(now: DateTime<Utc>, index: u64) -> HttpResponse {
    xml(format!(
        r#"<header xmlns="{UPLOAD_NAMESPACE}" dateResponse="{}" ExecutionStatus="0" index_incarcare="{index}"/>"#,
        anaf_timestamp(now)
    ))
}

/// upload's refusal: `ExecutionStatus="1"` with one `<Errors errorMessage=…/>`.
pub(crate) fn upload_error(now: DateTime<Utc>, message: &str) -> HttpResponse {
    xml(format!(
        r#"<header xmlns="{UPLOAD_NAMESPACE}" dateResponse="{}" ExecutionStatus="1"><Errors errorMessage="{}"/></header>"#,
        anaf_timestamp(now),
        xml_escape(message)
    ))
}

/// stareMesaj's answer: `stare` and, when there is a file, `id_descarcare`.
pub(crate) fn stare(stare: &str, id_descarcare: Option<u64>) -> HttpResponse {
    let id = id_descarcare
        .map(|id| format!(r#" id_descarcare="{id}""#))
        .unwrap_or_default();
    xml(format!(
        r#"<header xmlns="{STARE_NAMESPACE}" stare="{}"{id}/>"#,
        xml_escape(stare)
    ))
}

/// stareMesaj's refusal: `<Errors errorMessage=…/>` inside the header.
pub(crate) fn stare_error(message: &str) -> HttpResponse {
    xml(format!(
        r#"<header xmlns="{STARE_NAMESPACE}"><Errors errorMessage="{}"/></header>"#,
        xml_escape(message)
    ))
}

/// The lists' and descarcare's HTTP-200 error: `{"eroare": …, "titlu": …}`.
pub(crate) fn eroare(titlu: &str, message: impl Into<String>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "eroare": message.into(), "titlu": titlu }))
}

/// The 400 a Spring controller answers for missing mandatory parameters.
pub(crate) fn spring_bad_request(now: DateTime<Utc>, message: &str) -> HttpResponse {
    HttpResponse::BadRequest().json(json!({
        "timestamp": now.format("%Y-%m-%dT%H:%M:%S%.3f+00:00").to_string(),
        "status": 400,
        "error": "Bad Request",
        "message": message,
    }))
}

/// validare's answer (and transformare's error): `Messages` only when there is something to say.
pub(crate) fn validation(messages: &[String]) -> HttpResponse {
    let mut body = json!({
        "stare": if messages.is_empty() { "ok" } else { "nok" },
        "trace_id": trace_id(),
    });
    if !messages.is_empty() {
        body["Messages"] = messages
            .iter()
            .map(|m| json!({ "message": m }))
            .collect::<Vec<_>>()
            .into();
    }
    HttpResponse::Ok().json(body)
}

/// A random id shaped like a UUID (8-4-4-4-12 hex digits).
fn trace_id() -> String {
    let mut rng = rand::thread_rng();
    let hex: String = (0..32)
        .map(|_| char::from_digit(rng.gen_range(0..16), 16).unwrap_or('0'))
        .collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// `A aparut o eroare tehnica. Cod: <code>` in the shape of the endpoint it is injected on.
pub(crate) fn technical_error(
    endpoint: SimEndpoint,
    code: &str,
    now: DateTime<Utc>,
) -> HttpResponse {
    let message = format!("A aparut o eroare tehnica. Cod: {code}");
    match endpoint {
        SimEndpoint::Upload | SimEndpoint::UploadB2c => upload_error(now, &message),
        SimEndpoint::StareMesaj => stare_error(&message),
        SimEndpoint::Lista | SimEndpoint::ListaPaginatie => eroare(LISTA_TITLU, message),
        SimEndpoint::Descarcare => eroare(DESCARCARE_TITLU, message),
        SimEndpoint::Validare | SimEndpoint::Transformare => validation(&[message]),
        SimEndpoint::Authorize
        | SimEndpoint::Token
        | SimEndpoint::Revoke
        | SimEndpoint::Hello
        | SimEndpoint::Registry => HttpResponse::Ok().json(json!({ "eroare": message })),
    }
}

/// The web firewall's rejection page, as ANAF's public host sends it: HTTP 200, HTML.
pub(crate) fn firewall_page(support_id: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<html><head><title>Request Rejected</title></head><body>The requested URL was rejected. \
             Please consult with your administrator.<br><br>Your support ID is: {support_id}<br><br>\
             <a href='javascript:history.back();'>[Go Back]</a></body></html>"
        ))
}

/// 19 random digits, like the firewall's support IDs.
pub(crate) fn random_support_id() -> String {
    let mut rng = rand::thread_rng();
    let first = char::from(b'1' + rng.gen_range(0..9u8));
    std::iter::once(first)
        .chain((0..18).map(|_| char::from(b'0' + rng.gen_range(0..10u8))))
        .collect()
}
