//! Simulator-only control endpoints under `__sim/` (JSON in, JSON out).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Duration, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::json;

use super::efactura::Message;
use super::faults::{FaultEntry, FaultRequest};
use super::request::bad_request;
use super::state::{RolesClaim, State, validate_cif_digits, validate_client};
use super::tokens::issue_pair;
use super::{RefreshMode, RegisteredClient, RevokeMode, SimData, SimEndpoint, TestCertificate};

const STYLESHEET: &str = include_str!("simulator.css");

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/__sim/public-key.pem", web::get().to(public_key))
        .route("/__sim/simulator.css", web::get().to(stylesheet))
        .service(
            web::resource("/__sim/clock")
                .route(web::get().to(get_clock))
                .route(web::post().to(move_clock)),
        )
        .service(
            web::resource("/__sim/faults")
                .route(web::get().to(list_faults))
                .route(web::post().to(add_fault))
                .route(web::delete().to(clear_faults)),
        )
        .route("/__sim/mint", web::post().to(mint))
        .service(
            web::resource("/__sim/certificates")
                .route(web::get().to(list_certificates))
                .route(web::put().to(replace_certificates))
                .route(web::post().to(upsert_certificate)),
        )
        .route("/__sim/messages", web::put().to(replace_messages))
        .service(
            web::resource("/__sim/settings")
                .route(web::get().to(get_settings))
                .route(web::post().to(update_settings))
                .route(web::patch().to(update_settings)),
        )
        .route("/__sim/clients", web::post().to(upsert_client))
        .service(
            web::resource("/__sim/calls")
                .route(web::get().to(list_calls))
                .route(web::delete().to(clear_calls)),
        );
}

fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| format!("invalid JSON body: {e}"))
}

async fn public_key(data: web::Data<SimData>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/x-pem-file")
        .body(data.0.public_key_pem())
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(STYLESHEET)
}

// ---------------------------------------------------------------------------------------------
// clock

/// `POST __sim/clock`: every field optional, applied in this order.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ClockRequest {
    /// Back to the real clock.
    #[serde(default)]
    reset: bool,
    /// Sets the offset from the real clock.
    offset_seconds: Option<i64>,
    advance_seconds: Option<i64>,
    advance_days: Option<i64>,
}

fn clock_json(st: &State) -> serde_json::Value {
    json!({ "now": st.now().to_rfc3339(), "offset_seconds": st.clock_offset_seconds })
}

async fn get_clock(data: web::Data<SimData>) -> HttpResponse {
    HttpResponse::Ok().json(clock_json(&data.0.lock()))
}

async fn move_clock(data: web::Data<SimData>, body: web::Bytes) -> HttpResponse {
    let req: ClockRequest = match parse_json(&body) {
        Ok(r) => r,
        Err(e) => return bad_request("invalid_request", &e),
    };
    let mut st = data.0.lock();
    let mut offset = if req.reset {
        0
    } else {
        st.clock_offset_seconds
    };
    if let Some(o) = req.offset_seconds {
        offset = o;
    }
    let advance = req
        .advance_seconds
        .unwrap_or(0)
        .checked_add(req.advance_days.unwrap_or(0).saturating_mul(86_400));
    match advance.and_then(|a| offset.checked_add(a)) {
        // +-100 years is plenty and keeps chrono in range.
        Some(o) if o.abs() <= 100 * 365 * 86_400 => st.clock_offset_seconds = o,
        _ => return bad_request("invalid_request", "clock offset out of range (±100 years)"),
    }
    tracing::debug!(
        offset = st.clock_offset_seconds,
        "ANAF simulator: clock moved"
    );
    HttpResponse::Ok().json(clock_json(&st))
}

// ---------------------------------------------------------------------------------------------
// faults

#[derive(Serialize)]
struct QueuedFault<'a> {
    endpoint: SimEndpoint,
    #[serde(flatten)]
    entry: &'a FaultEntry,
}

fn faults_json(st: &State) -> serde_json::Value {
    let mut out = Vec::new();
    for endpoint in SimEndpoint::ALL {
        for entry in st.faults.get(&endpoint).into_iter().flatten() {
            out.push(serde_json::to_value(QueuedFault { endpoint, entry }).unwrap_or_default());
        }
    }
    json!({ "faults": out })
}

async fn list_faults(data: web::Data<SimData>) -> HttpResponse {
    HttpResponse::Ok().json(faults_json(&data.0.lock()))
}

async fn add_fault(data: web::Data<SimData>, body: web::Bytes) -> HttpResponse {
    let req: FaultRequest = match parse_json(&body) {
        Ok(r) => r,
        Err(e) => return bad_request("invalid_request", &e),
    };
    if let Err(e) = req.fault.validate() {
        return bad_request("invalid_request", &e);
    }
    if req.count == 0 {
        return bad_request("invalid_request", "count must be at least 1");
    }
    let mut st = data.0.lock();
    st.faults
        .entry(req.endpoint)
        .or_default()
        .push_back(FaultEntry {
            fault: req.fault,
            remaining: req.count,
        });
    HttpResponse::Ok().json(faults_json(&st))
}

async fn clear_faults(data: web::Data<SimData>) -> HttpResponse {
    let mut st = data.0.lock();
    st.faults.clear();
    HttpResponse::Ok().json(faults_json(&st))
}

// ---------------------------------------------------------------------------------------------
// mint

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MintRequest {
    certificate_serial: String,
    client_id: String,
    /// `jwt` (the default) or `opaque`.
    #[serde(default)]
    token_content_type: Option<String>,
}

async fn mint(data: web::Data<SimData>, body: web::Bytes) -> HttpResponse {
    let req: MintRequest = match parse_json(&body) {
        Ok(r) => r,
        Err(e) => return bad_request("invalid_request", &e),
    };
    let jwt = match req.token_content_type.as_deref() {
        None | Some("jwt") => true,
        Some("opaque") => false,
        Some(other) => {
            return bad_request(
                "invalid_request",
                &format!("token_content_type must be jwt or opaque, got {other:?}"),
            );
        }
    };
    let sim = &data.0;
    let mut st = sim.lock();
    let Some(cert) = st.find_certificate(&req.certificate_serial).cloned() else {
        return bad_request(
            "invalid_request",
            &format!("unknown certificate serial {:?}", req.certificate_serial),
        );
    };
    match issue_pair(&mut st, sim.keys(), &cert, &req.client_id, jwt, None) {
        Ok(pair) => HttpResponse::Ok().json(pair),
        Err(e) => {
            tracing::error!(error = %e, "ANAF simulator: mint failed");
            HttpResponse::InternalServerError().json(json!({"error": "server_error"}))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// certificates and messages

fn validate_certificate(cert: &TestCertificate) -> Result<(), String> {
    if cert.serial.trim().is_empty() {
        return Err("certificate serial must not be empty".into());
    }
    if cert
        .serial
        .eq_ignore_ascii_case(super::oauth::NO_CERTIFICATE)
    {
        return Err("\"none\" is reserved for the no-certificate choice".into());
    }
    if let Some(bad) = cert.cifs.iter().find(|c| !validate_cif_digits(c)) {
        return Err(format!("CIF {bad:?} must be 1 to 10 digits, without RO"));
    }
    Ok(())
}

async fn list_certificates(data: web::Data<SimData>) -> HttpResponse {
    HttpResponse::Ok().json(&data.0.lock().certificates)
}

async fn replace_certificates(data: web::Data<SimData>, body: web::Bytes) -> HttpResponse {
    let certs: Vec<TestCertificate> = match parse_json(&body) {
        Ok(r) => r,
        Err(e) => return bad_request("invalid_request", &e),
    };
    if let Some(e) = certs.iter().find_map(|c| validate_certificate(c).err()) {
        return bad_request("invalid_request", &e);
    }
    let mut st = data.0.lock();
    st.certificates = certs;
    HttpResponse::Ok().json(&st.certificates)
}

async fn upsert_certificate(data: web::Data<SimData>, body: web::Bytes) -> HttpResponse {
    let cert: TestCertificate = match parse_json(&body) {
        Ok(r) => r,
        Err(e) => return bad_request("invalid_request", &e),
    };
    if let Err(e) = validate_certificate(&cert) {
        return bad_request("invalid_request", &e);
    }
    let mut st = data.0.lock();
    let existing = st.find_certificate(&cert.serial).map(|c| c.serial.clone());
    match existing.and_then(|s| st.certificates.iter_mut().find(|c| c.serial == s)) {
        Some(slot) => *slot = cert,
        None => st.certificates.push(cert),
    }
    HttpResponse::Ok().json(&st.certificates)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MessagesRequest {
    cif: String,
    messages: Vec<MessageSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MessageSpec {
    /// Age on the simulated clock (default 0).
    #[serde(default)]
    days_ago: i64,
    #[serde(default = "default_tip")]
    tip: String,
    #[serde(default)]
    detalii: Option<String>,
    #[serde(default)]
    id_solicitare: Option<String>,
    #[serde(default)]
    id: Option<String>,
}

fn default_tip() -> String {
    "FACTURA PRIMITA".to_string()
}

/// `PUT __sim/messages`: replaces the messages `listaMesajeFactura` returns for one CIF.
async fn replace_messages(data: web::Data<SimData>, body: web::Bytes) -> HttpResponse {
    let req: MessagesRequest = match parse_json(&body) {
        Ok(r) => r,
        Err(e) => return bad_request("invalid_request", &e),
    };
    if !validate_cif_digits(&req.cif) {
        return bad_request("invalid_request", "cif must be 1 to 10 digits, without RO");
    }
    if req
        .messages
        .iter()
        .any(|m| !(0..=3650).contains(&m.days_ago))
    {
        return bad_request("invalid_request", "days_ago must be between 0 and 3650");
    }
    let mut st = data.0.lock();
    let now: DateTime<Utc> = st.now();
    let cif = req.cif.trim_start_matches('0').to_string();
    let messages: Vec<Message> = req
        .messages
        .into_iter()
        .enumerate()
        .map(|(i, m)| {
            let id_solicitare = m
                .id_solicitare
                .unwrap_or_else(|| format!("{}", 5_002_000_000 + i));
            Message {
                created_at: now - Duration::days(m.days_ago),
                cif: cif.clone(),
                detalii: m.detalii.unwrap_or_else(|| {
                    format!("Factura cu id_incarcare={id_solicitare} pentru cif={cif}")
                }),
                id_solicitare,
                tip: m.tip,
                id: m.id.unwrap_or_else(|| format!("{}", 3_002_000_000 + i)),
            }
        })
        .collect();
    let count = messages.len();
    st.efactura.messages.insert(cif.clone(), messages);
    HttpResponse::Ok().json(json!({ "cif": cif, "messages": count }))
}

// ---------------------------------------------------------------------------------------------
// settings and clients

/// `Some(None)` when the field is present as `null`, `None` when absent.
fn double_option<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsUpdate {
    #[serde(default, deserialize_with = "double_option")]
    auto_approve: Option<Option<String>>,
    refresh_mode: Option<RefreshMode>,
    revoke_mode: Option<RevokeMode>,
    lista_daily_limit_per_cif: Option<u32>,
    calls_per_minute_limit: Option<u32>,
    invalid_client_status: Option<u16>,
    expired_refresh_error: Option<String>,
    roles_claim: Option<RolesClaim>,
    access_token_lifetime_days: Option<i64>,
    /// `null` goes back to `expires_in` matching the JWT's `exp`.
    #[serde(default, deserialize_with = "double_option")]
    access_token_expires_in_seconds: Option<Option<i64>>,
    refresh_token_lifetime_days: Option<i64>,
    refresh_restarts_lifetime: Option<bool>,
    token_response_scope: Option<bool>,
    processing_delay_seconds: Option<u32>,
    indexing_lag_seconds: Option<u32>,
    descarcare_daily_limit: Option<u32>,
    stare_mesaj_daily_limit: Option<u32>,
    lista_paginatie_daily_limit_per_cif: Option<u32>,
    rasp_daily_limit_per_cif: Option<u32>,
}

/// Longest processing delay or indexing lag accepted (30 days).
const MAX_DELAY_SECONDS: u32 = 30 * 86_400;

fn settings_json(st: &State) -> serde_json::Value {
    let clients: Vec<_> = st
        .clients
        .iter()
        .map(|c| json!({ "client_id": c.client_id, "redirect_uri": c.redirect_uri }))
        .collect();
    json!({
        "auto_approve": st.auto_approve,
        "refresh_mode": st.refresh_mode,
        "revoke_mode": st.revoke_mode,
        "lista_daily_limit_per_cif": st.lista_daily_limit_per_cif,
        "calls_per_minute_limit": st.calls_per_minute_limit,
        "invalid_client_status": st.variants.invalid_client_status,
        "expired_refresh_error": st.variants.expired_refresh_error,
        "roles_claim": st.variants.roles_claim,
        "access_token_lifetime_days": st.variants.access_token_lifetime_days,
        "access_token_expires_in_seconds": st.variants.access_token_expires_in_seconds,
        "refresh_token_lifetime_days": st.variants.refresh_token_lifetime_days,
        "refresh_restarts_lifetime": st.variants.refresh_restarts_lifetime,
        "token_response_scope": st.variants.token_response_scope,
        "processing_delay_seconds": st.efactura.settings.processing_delay_seconds,
        "indexing_lag_seconds": st.efactura.settings.indexing_lag_seconds,
        "descarcare_daily_limit": st.efactura.settings.descarcare_daily_limit,
        "stare_mesaj_daily_limit": st.efactura.settings.stare_mesaj_daily_limit,
        "lista_paginatie_daily_limit_per_cif": st.efactura.settings.lista_paginatie_daily_limit_per_cif,
        "rasp_daily_limit_per_cif": st.efactura.settings.rasp_daily_limit_per_cif,
        "clients": clients,
    })
}

async fn get_settings(data: web::Data<SimData>) -> HttpResponse {
    HttpResponse::Ok().json(settings_json(&data.0.lock()))
}

async fn update_settings(data: web::Data<SimData>, body: web::Bytes) -> HttpResponse {
    let req: SettingsUpdate = match parse_json(&body) {
        Ok(r) => r,
        Err(e) => return bad_request("invalid_request", &e),
    };
    if let Some(status) = req.invalid_client_status
        && status != 400
        && status != 401
    {
        return bad_request(
            "invalid_request",
            "invalid_client_status must be 400 or 401",
        );
    }
    if let Some(error) = &req.expired_refresh_error
        && error != "invalid_grant"
        && error != "invalid_request"
    {
        return bad_request(
            "invalid_request",
            "expired_refresh_error must be invalid_grant or invalid_request",
        );
    }
    for days in [
        req.access_token_lifetime_days,
        req.refresh_token_lifetime_days,
    ]
    .into_iter()
    .flatten()
    {
        if !(1..=36_500).contains(&days) {
            return bad_request("invalid_request", "token lifetimes must be 1 to 36500 days");
        }
    }
    if let Some(Some(seconds)) = req.access_token_expires_in_seconds
        && !(1..=36_500 * 86_400).contains(&seconds)
    {
        return bad_request(
            "invalid_request",
            "access_token_expires_in_seconds must be 1 to 3153600000, or null",
        );
    }
    if [req.processing_delay_seconds, req.indexing_lag_seconds]
        .into_iter()
        .flatten()
        .any(|seconds| seconds > MAX_DELAY_SECONDS)
    {
        return bad_request(
            "invalid_request",
            "processing_delay_seconds and indexing_lag_seconds must be 0 to 2592000",
        );
    }
    let mut st = data.0.lock();
    if let Some(Some(serial)) = &req.auto_approve
        && !serial.eq_ignore_ascii_case(super::oauth::NO_CERTIFICATE)
        && st.find_certificate(serial).is_none()
    {
        return bad_request(
            "invalid_request",
            &format!("auto_approve: unknown certificate serial {serial:?}"),
        );
    }
    if let Some(a) = req.auto_approve {
        st.auto_approve = a;
    }
    if let Some(m) = req.refresh_mode {
        st.refresh_mode = m;
    }
    if let Some(m) = req.revoke_mode {
        st.revoke_mode = m;
    }
    if let Some(l) = req.lista_daily_limit_per_cif {
        st.lista_daily_limit_per_cif = l;
    }
    if let Some(l) = req.calls_per_minute_limit {
        st.calls_per_minute_limit = l;
    }
    let e = &mut st.efactura.settings;
    if let Some(x) = req.processing_delay_seconds {
        e.processing_delay_seconds = x;
    }
    if let Some(x) = req.indexing_lag_seconds {
        e.indexing_lag_seconds = x;
    }
    if let Some(x) = req.descarcare_daily_limit {
        e.descarcare_daily_limit = x;
    }
    if let Some(x) = req.stare_mesaj_daily_limit {
        e.stare_mesaj_daily_limit = x;
    }
    if let Some(x) = req.lista_paginatie_daily_limit_per_cif {
        e.lista_paginatie_daily_limit_per_cif = x;
    }
    if let Some(x) = req.rasp_daily_limit_per_cif {
        e.rasp_daily_limit_per_cif = x;
    }
    let v = &mut st.variants;
    if let Some(x) = req.invalid_client_status {
        v.invalid_client_status = x;
    }
    if let Some(x) = req.expired_refresh_error {
        v.expired_refresh_error = x;
    }
    if let Some(x) = req.roles_claim {
        v.roles_claim = x;
    }
    if let Some(x) = req.access_token_lifetime_days {
        v.access_token_lifetime_days = x;
    }
    if let Some(x) = req.access_token_expires_in_seconds {
        v.access_token_expires_in_seconds = x;
    }
    if let Some(x) = req.refresh_token_lifetime_days {
        v.refresh_token_lifetime_days = x;
    }
    if let Some(x) = req.refresh_restarts_lifetime {
        v.refresh_restarts_lifetime = x;
    }
    if let Some(x) = req.token_response_scope {
        v.token_response_scope = x;
    }
    HttpResponse::Ok().json(settings_json(&st))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientRequest {
    client_id: String,
    client_secret: String,
    redirect_uri: String,
}

/// `POST __sim/clients`: registers (or replaces) an application.
async fn upsert_client(data: web::Data<SimData>, body: web::Bytes) -> HttpResponse {
    let req: ClientRequest = match parse_json(&body) {
        Ok(r) => r,
        Err(e) => return bad_request("invalid_request", &e),
    };
    let client = RegisteredClient {
        client_id: req.client_id,
        client_secret: req.client_secret,
        redirect_uri: req.redirect_uri,
    };
    if let Err(e) = validate_client(&client) {
        return bad_request("invalid_request", &e.to_string());
    }
    let mut st = data.0.lock();
    st.clients.retain(|c| c.client_id != client.client_id);
    st.clients.push(client);
    HttpResponse::Ok().json(settings_json(&st))
}

// ---------------------------------------------------------------------------------------------
// call log

#[derive(Deserialize)]
struct CallsQuery {
    endpoint: Option<SimEndpoint>,
}

async fn list_calls(data: web::Data<SimData>, req: HttpRequest) -> HttpResponse {
    let query: CallsQuery = match serde_urlencoded::from_str(req.query_string()) {
        Ok(q) => q,
        Err(e) => return bad_request("invalid_request", &format!("bad query: {e}")),
    };
    let st = data.0.lock();
    let calls: Vec<_> = st
        .calls
        .iter()
        .filter(|c| query.endpoint.is_none_or(|e| e == c.endpoint))
        .collect();
    HttpResponse::Ok().json(calls)
}

async fn clear_calls(data: web::Data<SimData>) -> HttpResponse {
    let mut st = data.0.lock();
    let cleared = st.calls.len();
    st.calls.clear();
    HttpResponse::Ok().json(json!({ "cleared": cleared }))
}
