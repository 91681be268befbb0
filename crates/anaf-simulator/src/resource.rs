//! The resource side's shared parts (bearer authentication, the per-minute limit, the call wrapper)
//! and `/TestOauth/jaxrs/hello`. The e-Factura operations live in `efactura/`.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{Duration, Utc};
use serde_json::json;

use super::faults;
use super::request::{Params, bearer_token, draft_call};
use super::state::{State, TokenKind, token_key};
use super::{ClientAuthStyle, SimData, SimEndpoint, Simulator, TestCertificate};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/TestOauth/jaxrs/hello", web::get().to(hello));
}

/// Runs one resource call: counts it per real minute (`__sim/efactura/counters`), records it in the
/// call log, applies the endpoint's next fault and otherwise answers with `logic`.
pub(crate) async fn resource_call(
    sim: &Simulator,
    endpoint: SimEndpoint,
    req: &HttpRequest,
    params: &Params,
    logic: impl FnOnce(&Simulator) -> HttpResponse,
) -> HttpResponse {
    sim.lock().efactura.counters.count_call(Utc::now());
    let call = draft_call(endpoint, req, params, ClientAuthStyle::None);
    let response = faults::handle(sim, call, logic).await;
    if response.status() == StatusCode::TOO_MANY_REQUESTS {
        sim.lock().efactura.counters.rate_limited += 1;
    }
    response
}

/// Why a bearer token was refused (never echoed with the token itself).
pub(crate) fn unauthorized(description: &str) -> HttpResponse {
    HttpResponse::Unauthorized()
        .insert_header((
            header::WWW_AUTHENTICATE,
            format!("Bearer error=\"invalid_token\", error_description=\"{description}\""),
        ))
        .json(json!({ "error": "invalid_token", "error_description": description }))
}

pub(crate) fn too_many_requests() -> HttpResponse {
    HttpResponse::TooManyRequests()
        .insert_header((header::RETRY_AFTER, "60"))
        .json(json!({
            "status": 429,
            "error": "Too Many Requests",
            "message": "Limita de apeluri pe minut a fost depasita"
        }))
}

/// Counts a resource call against the per-minute limit; `false` when over it.
pub(crate) fn admit(st: &mut State) -> bool {
    let now = st.now();
    let horizon = now - Duration::seconds(60);
    while st
        .minute_window
        .front()
        .is_some_and(|t| *t <= horizon || *t > now)
    {
        st.minute_window.pop_front();
    }
    if st.minute_window.len() >= st.calls_per_minute_limit as usize {
        return false;
    }
    st.minute_window.push_back(now);
    true
}

/// The certificate behind a valid access token, or why the token is refused (answer with 401).
pub(crate) fn authenticate(
    st: &State,
    req: &HttpRequest,
) -> Result<Option<TestCertificate>, &'static str> {
    let Some(token) = bearer_token(req) else {
        return Err("Missing bearer token");
    };
    let Some(rec) = st.tokens.get(&token_key(&token)) else {
        return Err("Invalid token");
    };
    if rec.kind != TokenKind::Access {
        return Err("Invalid token");
    }
    if rec.revoked {
        return Err("Token has been revoked");
    }
    if rec.expires_at <= st.now() {
        return Err("Token has expired");
    }
    Ok(st.find_certificate(&rec.certificate_serial).cloned())
}

pub(crate) fn query_params(req: &HttpRequest) -> Params {
    Params::parse(req.query_string().as_bytes()).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// hello

async fn hello(data: web::Data<SimData>, req: HttpRequest) -> HttpResponse {
    let sim = &data.0;
    let params = query_params(&req);
    resource_call(sim, SimEndpoint::Hello, &req, &params, |sim| {
        hello_logic(sim, &req, &params)
    })
    .await
}

fn hello_logic(sim: &Simulator, req: &HttpRequest, params: &Params) -> HttpResponse {
    let mut st = sim.lock();
    if !admit(&mut st) {
        return too_many_requests();
    }
    if let Err(description) = authenticate(&st, req) {
        return unauthorized(description);
    }
    drop(st);
    let name = params.get("name").unwrap_or_default();
    let mut body = format!("Hello, \"{name}\"\n");
    let mut headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(k, v)| {
            let value = if k == header::AUTHORIZATION || k == header::COOKIE {
                "[redacted]".to_string()
            } else {
                String::from_utf8_lossy(v.as_bytes()).into_owned()
            };
            (k.as_str().to_string(), value)
        })
        .collect();
    headers.sort();
    for (k, v) in headers {
        body.push_str(&format!("Header: {k} = {v}\n"));
    }
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(body)
}
