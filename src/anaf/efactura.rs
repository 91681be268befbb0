//! ANAF's e-Factura REST API as the gateway forwards it: its operations, the class of every
//! answer (most errors arrive as HTTP 200, `classify`), the facts the portal keeps from them
//! (upload indexes, download ids, listed messages), and the HTTP calls themselves. See
//! `../shared/reference/efactura-api.md`.

use std::time::Duration;

use bytes::Bytes;
use quick_xml::events::Event;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use crate::anaf::client::{AnafError, EfacturaEnvironment, retry_after, transport_error};
use crate::domain::Permission;

/// The largest upload ANAF takes.
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;

/// ANAF's daily e-Factura quotas (its limits file), as the gateway keeps them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EfacturaLimits {
    pub lists_per_cif: u32,
    pub paged_lists_per_cif: u32,
    pub downloads_per_message: u32,
    pub status_per_upload: u32,
    pub rasp_per_cif: u32,
}

/// One e-Factura operation, as it appears after `/FCTEL/rest/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    Upload,
    UploadB2c,
    StareMesaj,
    ListaMesaje,
    ListaPaginatie,
    Descarcare,
    /// `validare/{FACT1|FCN}`.
    Validare(&'static str),
    /// `transformare/{FACT1|FCN}[/DA]`.
    Transformare {
        standard: &'static str,
        skip_validation: bool,
    },
}

fn document_standard(raw: &str) -> Option<&'static str> {
    match raw {
        "FACT1" => Some("FACT1"),
        "FCN" => Some("FCN"),
        _ => None,
    }
}

impl Operation {
    /// The operation at `path` (what follows `/FCTEL/rest/`); `None` for one ANAF does not have.
    pub fn parse(path: &str) -> Option<Operation> {
        let parts: Vec<&str> = path.split('/').collect();
        Some(match parts.as_slice() {
            ["upload"] => Operation::Upload,
            ["uploadb2c"] => Operation::UploadB2c,
            ["stareMesaj"] => Operation::StareMesaj,
            ["listaMesajeFactura"] => Operation::ListaMesaje,
            ["listaMesajePaginatieFactura"] => Operation::ListaPaginatie,
            ["descarcare"] => Operation::Descarcare,
            ["validare", standard] => Operation::Validare(document_standard(standard)?),
            ["transformare", standard] => Operation::Transformare {
                standard: document_standard(standard)?,
                skip_validation: false,
            },
            ["transformare", standard, "DA"] => Operation::Transformare {
                standard: document_standard(standard)?,
                skip_validation: true,
            },
            _ => return None,
        })
    }

    /// Its name in metrics, quotas and the company page.
    pub fn name(&self) -> &'static str {
        match self {
            Operation::Upload => "upload",
            Operation::UploadB2c => "uploadb2c",
            Operation::StareMesaj => "stareMesaj",
            Operation::ListaMesaje => "listaMesajeFactura",
            Operation::ListaPaginatie => "listaMesajePaginatieFactura",
            Operation::Descarcare => "descarcare",
            Operation::Validare(_) => "validare",
            Operation::Transformare { .. } => "transformare",
        }
    }

    /// The path after `/FCTEL/rest/`.
    fn path(&self) -> String {
        match self {
            Operation::Validare(standard) => format!("validare/{standard}"),
            Operation::Transformare {
                standard,
                skip_validation: true,
            } => format!("transformare/{standard}/DA"),
            Operation::Transformare { standard, .. } => format!("transformare/{standard}"),
            other => other.name().to_owned(),
        }
    }

    /// What a key needs for it.
    pub fn permission(&self) -> Permission {
        match self {
            Operation::Upload | Operation::UploadB2c => Permission::EfacturaWrite,
            _ => Permission::EfacturaRead,
        }
    }

    /// Sent with a body (the XML).
    pub fn has_body(&self) -> bool {
        matches!(
            self,
            Operation::Upload
                | Operation::UploadB2c
                | Operation::Validare(_)
                | Operation::Transformare { .. }
        )
    }

    /// Served by ANAF's public host without a token (`webservicesp.anaf.ro`).
    pub fn is_public(&self) -> bool {
        matches!(
            self,
            Operation::Validare(_) | Operation::Transformare { .. }
        )
    }

    /// Safe to send again when ANAF failed: everything but an upload, which ANAF may have
    /// registered even when its answer never arrived.
    pub fn may_retry(&self) -> bool {
        !matches!(self, Operation::Upload | Operation::UploadB2c)
    }
}

/// What an answer of ANAF's means, whatever its HTTP status said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    NoMessages,
    NoRights,
    LimitReached,
    DownloadExpired,
    NotFound,
    TechnicalError,
    FirewallPage,
    InvalidRequest,
    Unauthorized,
    RateLimited,
}

impl Outcome {
    pub const ALL: [Outcome; 11] = [
        Outcome::Ok,
        Outcome::NoMessages,
        Outcome::NoRights,
        Outcome::LimitReached,
        Outcome::DownloadExpired,
        Outcome::NotFound,
        Outcome::TechnicalError,
        Outcome::FirewallPage,
        Outcome::InvalidRequest,
        Outcome::Unauthorized,
        Outcome::RateLimited,
    ];

    /// The `Efactura-Outcome` header's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::NoMessages => "no_messages",
            Outcome::NoRights => "no_rights",
            Outcome::LimitReached => "limit_reached",
            Outcome::DownloadExpired => "download_expired",
            Outcome::NotFound => "not_found",
            Outcome::TechnicalError => "technical_error",
            Outcome::FirewallPage => "firewall_page",
            Outcome::InvalidRequest => "invalid_request",
            Outcome::Unauthorized => "unauthorized",
            Outcome::RateLimited => "rate_limited",
        }
    }

    /// Worth another try (a read only, and within the budget).
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            Outcome::FirewallPage | Outcome::RateLimited | Outcome::TechnicalError
        )
    }
}

/// An answer's class, with ANAF's own words when it gave some.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classified {
    pub outcome: Outcome,
    pub message: Option<String>,
    /// For `limit_reached`: the count ANAF says was reached.
    pub count: Option<u32>,
}

impl Classified {
    fn of(outcome: Outcome, message: Option<String>) -> Classified {
        let count = match outcome {
            Outcome::LimitReached => message.as_deref().and_then(limit_count),
            _ => None,
        };
        Classified {
            outcome,
            message,
            count,
        }
    }
}

/// `S-au facut deja 1500 interogari ...` / `S-au incarcat deja 1000 de mesaje ...`: the number.
fn limit_count(text: &str) -> Option<u32> {
    let rest = &text[text.find("deja ")? + "deja ".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The class of an error text of ANAF's (the `eroare` of a list, a download's refusal, the
/// `errorMessage` of an upload or status answer).
fn class_of_text(text: &str) -> Outcome {
    let lower = text.to_lowercase();
    if lower.starts_with("nu exista mesaje") {
        Outcome::NoMessages
    } else if lower.contains("eroare tehnica") {
        Outcome::TechnicalError
    } else if lower.contains("s-au facut deja") || lower.contains("s-au incarcat deja") {
        Outcome::LimitReached
    } else if lower.contains("60 de zile") {
        Outcome::DownloadExpired
    } else if lower.contains("nu aveti drept") || lower.contains("nu exista niciun cif") {
        Outcome::NoRights
    } else if lower.contains("nu exista inregistrata") || lower.contains("nu exista factura") {
        Outcome::NotFound
    } else {
        Outcome::InvalidRequest
    }
}

/// Classifies one answer of ANAF's from its status, content type and body.
pub fn classify(status: u16, content_type: &str, body: &[u8]) -> Classified {
    match status {
        429 => return Classified::of(Outcome::RateLimited, None),
        401 | 403 => return Classified::of(Outcome::Unauthorized, None),
        404 => return Classified::of(Outcome::NotFound, None),
        400..=499 => {
            let message = json_field(body, "message");
            return Classified::of(Outcome::InvalidRequest, message);
        }
        500..=599 => return Classified::of(Outcome::TechnicalError, None),
        _ => {}
    }
    let content_type = content_type.to_ascii_lowercase();
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map_or(&body[..0], |i| &body[i..]);
    if content_type.contains("text/html")
        || start.starts_with(b"<html")
        || start.starts_with(b"<!DOCTYPE html")
        || start.starts_with(b"<HTML")
    {
        return Classified::of(Outcome::FirewallPage, None);
    }
    if start.starts_with(b"{") {
        if let Some(text) = json_field(body, "eroare") {
            return Classified::of(class_of_text(&text), Some(text));
        }
        return Classified::of(Outcome::Ok, None);
    }
    if start.starts_with(b"<")
        && let Some(text) = xml_attribute(body, "Errors", "errorMessage")
    {
        return Classified::of(class_of_text(&text), Some(text));
    }
    Classified::of(Outcome::Ok, None)
}

fn json_field(body: &[u8], field: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value.get(field)?.as_str().map(str::to_owned)
}

/// The value of `attribute` on the first `element` (namespace prefixes ignored).
pub fn xml_attribute(body: &[u8], element: &str, attribute: &str) -> Option<String> {
    let mut reader = quick_xml::Reader::from_reader(body);
    let mut buffer = Vec::new();
    loop {
        match reader.read_event_into(&mut buffer) {
            Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == element => {
                return e
                    .attributes()
                    .flatten()
                    .find(|a| a.key.local_name().as_ref() == attribute)
                    .and_then(|a| {
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .ok()
                            .map(|v| v.into_owned())
                    });
            }
            Ok(Event::Eof) | Err(_) => return None,
            _ => {}
        }
        buffer.clear();
    }
}

/// The `index_incarcare` of a successful upload's answer.
pub fn upload_index(body: &[u8]) -> Option<String> {
    xml_attribute(body, "header", "index_incarcare").filter(|v| !v.is_empty())
}

/// `stareMesaj`'s `stare` and `id_descarcare`.
pub fn upload_state(body: &[u8]) -> Option<(String, Option<String>)> {
    let state = xml_attribute(body, "header", "stare")?;
    Some((state, xml_attribute(body, "header", "id_descarcare")))
}

/// One entry of a list's `mesaje`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct ListedMessage {
    pub id: String,
    #[serde(default)]
    pub id_solicitare: String,
    #[serde(default)]
    pub tip: String,
    #[serde(default)]
    pub data_creare: String,
    #[serde(default)]
    pub detalii: String,
    #[serde(default)]
    pub cif: String,
}

#[derive(Deserialize)]
struct ListAnswer {
    #[serde(default)]
    mesaje: Vec<ListedMessage>,
}

/// The messages a list answer holds (none for an error answer).
pub fn listed_messages(body: &[u8]) -> Vec<ListedMessage> {
    serde_json::from_slice::<ListAnswer>(body)
        .map(|answer| answer.mesaje)
        .unwrap_or_default()
}

/// ANAF's answer, as it came.
#[derive(Debug, Clone)]
pub struct RawAnswer {
    pub status: u16,
    pub content_type: String,
    pub body: Bytes,
    /// `Retry-After` in seconds, when sent.
    pub retry_after: Option<u64>,
}

/// A call for ANAF: the operation, its query as the client sent it, and its body.
pub struct EfacturaCall<'a> {
    pub environment: EfacturaEnvironment,
    pub operation: &'a Operation,
    pub query: &'a str,
    pub body: Option<Bytes>,
    pub content_type: Option<&'a str>,
}

/// Sends e-Factura calls to ANAF (`api_url` with a token; the public host without).
pub struct EfacturaClient {
    http: reqwest::Client,
    api_url: Url,
    public_url: Url,
}

impl EfacturaClient {
    /// `timeout` bounds a whole call (uploads of 10 MB included).
    pub fn new(api_url: Url, public_url: Url, timeout: Duration) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("anaf-portal/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(EfacturaClient {
            http,
            api_url,
            public_url,
        })
    }

    fn url(&self, call: &EfacturaCall<'_>) -> Url {
        let base = match call.operation.is_public() {
            true => &self.public_url,
            false => &self.api_url,
        };
        let mut url = base.clone();
        let path = format!(
            "{}/{}/FCTEL/rest/{}",
            base.path().trim_end_matches('/'),
            call.environment.path(),
            call.operation.path()
        );
        url.set_path(&path);
        url.set_query((!call.query.is_empty()).then_some(call.query));
        url
    }

    /// One call, with `token` as the bearer (none for the public operations).
    pub async fn send(
        &self,
        call: EfacturaCall<'_>,
        token: Option<&SecretString>,
    ) -> Result<RawAnswer, AnafError> {
        let url = self.url(&call);
        let mut request = match call.body {
            Some(body) => self
                .http
                .post(url)
                .header(
                    reqwest::header::CONTENT_TYPE,
                    call.content_type.unwrap_or("text/plain"),
                )
                .body(body),
            None => self.http.get(url),
        };
        if let Some(token) = token {
            request = request.bearer_auth(token.expose_secret());
        }
        let response = request.send().await.map_err(|e| transport_error(&e))?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let retry_after = retry_after(response.headers());
        let body = response.bytes().await.map_err(|e| match e.is_timeout() {
            true => AnafError::Timeout,
            false => AnafError::Dropped,
        })?;
        Ok(RawAnswer {
            status,
            content_type,
            body,
            retry_after,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(status: u16, content_type: &str, body: &str) -> Outcome {
        classify(status, content_type, body.as_bytes()).outcome
    }

    #[test]
    fn http_200_errors_are_classified_by_their_words() {
        let json = "application/json";
        assert_eq!(
            outcome(
                200,
                json,
                r#"{"eroare":"Nu exista mesaje in ultimele 15 zile"}"#
            ),
            Outcome::NoMessages
        );
        assert_eq!(
            outcome(
                200,
                json,
                r#"{"eroare":"Nu aveti drept in SPV pentru CIF=1"}"#
            ),
            Outcome::NoRights
        );
        let limit = classify(
            200,
            json,
            br#"{"eroare":"S-au facut deja 1500 interogari de lista mesaje de catre utilizator in cursul zilei"}"#,
        );
        assert_eq!(
            (limit.outcome, limit.count),
            (Outcome::LimitReached, Some(1500))
        );
        assert_eq!(
            outcome(
                200,
                json,
                r#"{"eroare":"Fisierul nu mai poate fi descarcat pentru ca a trecut perioada de 60 de zile in care este disponibil"}"#
            ),
            Outcome::DownloadExpired
        );
        assert_eq!(
            outcome(
                200,
                json,
                r#"{"eroare":"Pentru id=21 nu exista inregistrata nici o factura"}"#
            ),
            Outcome::NotFound
        );
        assert_eq!(
            outcome(
                200,
                json,
                r#"{"eroare":"CIF introdus= aaa nu este un numar"}"#
            ),
            Outcome::InvalidRequest
        );
        assert_eq!(
            outcome(
                200,
                "application/xml",
                r#"<header xmlns="mfp:anaf:dgti:spv:respUploadFisier:v1" ExecutionStatus="1"><Errors errorMessage="A aparut o eroare tehnica. Cod: 123"/></header>"#
            ),
            Outcome::TechnicalError
        );
        assert_eq!(
            outcome(
                200,
                "text/html",
                "<html><body>The requested URL was rejected</body></html>"
            ),
            Outcome::FirewallPage
        );
        assert_eq!(outcome(429, json, "{}"), Outcome::RateLimited);
        assert_eq!(outcome(401, json, "{}"), Outcome::Unauthorized);
        assert_eq!(
            outcome(
                400,
                json,
                r#"{"message":"Parametrii standard si cif sunt obligatorii"}"#
            ),
            Outcome::InvalidRequest
        );
        assert_eq!(outcome(503, "text/plain", "down"), Outcome::TechnicalError);
        assert_eq!(outcome(200, "application/zip", "PK\u{3}\u{4}"), Outcome::Ok);
        assert_eq!(outcome(200, json, r#"{"mesaje":[]}"#), Outcome::Ok);
    }

    #[test]
    fn upload_and_status_answers_are_read() {
        let upload = br#"<?xml version="1.0"?><header xmlns="mfp:anaf:dgti:spv:respUploadFisier:v1" dateResponse="202612071200" ExecutionStatus="0" index_incarcare="5001234567"/>"#;
        assert_eq!(upload_index(upload).as_deref(), Some("5001234567"));
        let status = br#"<header xmlns="mfp:anaf:dgti:efactura:stareMesajFactura:v1" stare="ok" id_descarcare="3001234567"/>"#;
        assert_eq!(
            upload_state(status),
            Some(("ok".to_owned(), Some("3001234567".to_owned())))
        );
    }

    #[test]
    fn operations_are_anafs_paths_only() {
        assert_eq!(Operation::parse("upload"), Some(Operation::Upload));
        assert_eq!(
            Operation::parse("transformare/FACT1/DA"),
            Some(Operation::Transformare {
                standard: "FACT1",
                skip_validation: true
            })
        );
        assert_eq!(Operation::parse("validare/XYZ"), None);
        assert_eq!(Operation::parse("../upload"), None);
        assert!(!Operation::Upload.may_retry());
        assert_eq!(Operation::Upload.permission(), Permission::EfacturaWrite);
    }
}
