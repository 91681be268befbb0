//! Request parsing and answer helpers shared by the ANAF endpoints.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use super::state::mask;
use super::{ClientAuthStyle, RecordedCall, SimEndpoint};

/// Parameters whose values are secrets: the call log keeps only a short prefix.
const SECRET_PARAMS: &[&str] = &[
    "client_secret",
    "code",
    "refresh_token",
    "access_token",
    "token",
    "code_verifier",
    "password",
];

/// Parsed `application/x-www-form-urlencoded` parameters (query string or body), in order.
#[derive(Default, Debug)]
pub(crate) struct Params(pub Vec<(String, String)>);

impl Params {
    pub fn parse(raw: &[u8]) -> Result<Params, String> {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(raw)
            .map(Params)
            .map_err(|e| format!("malformed form encoding: {e}"))
    }

    /// The first value of `name`; an empty value counts as absent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// A parameter given more than once (RFC 6749 §3.1: must not be repeated).
    pub fn repeated(&self) -> Option<&str> {
        self.0.iter().enumerate().find_map(|(i, (k, _))| {
            self.0[..i]
                .iter()
                .any(|(earlier, _)| earlier == k)
                .then_some(k.as_str())
        })
    }

    pub fn masked(&self) -> BTreeMap<String, String> {
        self.0
            .iter()
            .map(|(k, v)| {
                let value = if SECRET_PARAMS.contains(&k.as_str()) {
                    mask(v)
                } else {
                    v.clone()
                };
                (k.clone(), value)
            })
            .collect()
    }
}

/// `Authorization: Basic` credentials. `Some(Err)` when the header is Basic but unreadable.
pub(crate) fn basic_credentials(req: &HttpRequest) -> Option<Result<(String, String), ()>> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = match STANDARD.decode(rest.trim()) {
        Ok(d) => d,
        Err(_) => return Some(Err(())),
    };
    let Ok(text) = String::from_utf8(decoded) else {
        return Some(Err(()));
    };
    match text.split_once(':') {
        Some((id, secret)) => Some(Ok((id.to_string(), secret.to_string()))),
        None => Some(Err(())),
    }
}

/// The `Authorization: Bearer` token, if any.
pub(crate) fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    let token = rest.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_string())
}

pub(crate) fn is_form_urlencoded(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| {
            essence
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// How the client authenticated (for the call log), judged from the request alone.
pub(crate) fn client_auth_style(req: &HttpRequest, body: &Params) -> ClientAuthStyle {
    if basic_credentials(req).is_some() {
        ClientAuthStyle::Basic
    } else if body.get("client_secret").is_some() {
        ClientAuthStyle::Body
    } else {
        ClientAuthStyle::None
    }
}

/// A call-log entry for `req` (sequence number, time and status are filled in when recorded).
pub(crate) fn draft_call(
    endpoint: SimEndpoint,
    req: &HttpRequest,
    params: &Params,
    client_auth: ClientAuthStyle,
) -> RecordedCall {
    let client_id = match basic_credentials(req) {
        Some(Ok((id, _))) => Some(id),
        _ => params.get("client_id").map(str::to_string),
    };
    let mut masked = params.masked();
    if let Some(token) = bearer_token(req) {
        masked.insert("bearer".to_string(), mask(&token));
    }
    RecordedCall {
        seq: 0,
        at: String::new(),
        endpoint,
        method: req.method().to_string(),
        path: req.path().to_string(),
        grant_type: params.get("grant_type").map(str::to_string),
        client_auth,
        client_id,
        params: masked,
        status: None,
        fault: None,
    }
}

/// ANAF's OAuth error body: `{"error":..,"error_description":..}`.
pub(crate) fn oauth_error(status: StatusCode, error: &str, description: &str) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({ "error": error, "error_description": description }))
}

pub(crate) fn bad_request(error: &str, description: &str) -> HttpResponse {
    oauth_error(StatusCode::BAD_REQUEST, error, description)
}
