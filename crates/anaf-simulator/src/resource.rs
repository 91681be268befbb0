//! The resource side: `/TestOauth/jaxrs/hello` and `/{test,prod}/FCTEL/rest/listaMesajeFactura`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use super::faults;
use super::request::{Params, bearer_token, draft_call};
use super::state::{State, TokenKind, token_key};
use super::{ClientAuthStyle, SimData, SimEndpoint, Simulator, TestCertificate};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/TestOauth/jaxrs/hello", web::get().to(hello))
        .route(
            "/{env:test|prod}/FCTEL/rest/listaMesajeFactura",
            web::get().to(lista_mesaje),
        );
}

/// Why a bearer token was refused (never echoed with the token itself).
fn unauthorized(description: &str) -> HttpResponse {
    HttpResponse::Unauthorized()
        .insert_header((
            header::WWW_AUTHENTICATE,
            format!("Bearer error=\"invalid_token\", error_description=\"{description}\""),
        ))
        .json(json!({ "error": "invalid_token", "error_description": description }))
}

fn too_many_requests() -> HttpResponse {
    HttpResponse::TooManyRequests()
        .insert_header((header::RETRY_AFTER, "60"))
        .json(json!({
            "status": 429,
            "error": "Too Many Requests",
            "message": "Limita de apeluri pe minut a fost depasita"
        }))
}

/// Counts a resource call against the per-minute limit; `false` when over it.
fn admit(st: &mut State) -> bool {
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
fn authenticate(st: &State, req: &HttpRequest) -> Result<Option<TestCertificate>, &'static str> {
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

fn query_params(req: &HttpRequest) -> Params {
    Params::parse(req.query_string().as_bytes()).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// hello

async fn hello(data: web::Data<SimData>, req: HttpRequest) -> HttpResponse {
    let sim = &data.0;
    let params = query_params(&req);
    let call = draft_call(SimEndpoint::Hello, &req, &params, ClientAuthStyle::None);
    faults::handle(sim, call, |sim| hello_logic(sim, &req, &params)).await
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

// ---------------------------------------------------------------------------------------------
// listaMesajeFactura

async fn lista_mesaje(data: web::Data<SimData>, req: HttpRequest) -> HttpResponse {
    let sim = &data.0;
    let params = query_params(&req);
    let call = draft_call(SimEndpoint::Lista, &req, &params, ClientAuthStyle::None);
    faults::handle(sim, call, |sim| lista_logic(sim, &req, &params)).await
}

fn eroare(text: String) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "eroare": text, "titlu": "Lista Mesaje" }))
}

fn lista_logic(sim: &Simulator, req: &HttpRequest, params: &Params) -> HttpResponse {
    let mut st = sim.lock();
    if !admit(&mut st) {
        return too_many_requests();
    }
    let cert = match authenticate(&st, req) {
        Ok(cert) => cert,
        Err(description) => return unauthorized(description),
    };
    let (Some(cif), Some(zile_raw)) = (params.get("cif"), params.get("zile")) else {
        return HttpResponse::BadRequest().json(json!({
            "eroare": "Parametrii zile si cif sunt obligatorii",
            "titlu": "Lista Mesaje"
        }));
    };
    if !cif.bytes().all(|b| b.is_ascii_digit()) || cif.len() > 18 {
        return eroare(format!("CIF introdus= {cif} nu este un numar"));
    }
    let zile = match zile_raw.parse::<i64>() {
        Ok(z) if (1..=60).contains(&z) => z,
        _ => return eroare("Numarul de zile trebuie sa fie intre 1 si 60".to_string()),
    };
    let cif = cif.trim_start_matches('0');
    let cif = if cif.is_empty() { "0" } else { cif };
    let cifs = cert.as_ref().map(|c| c.cifs.as_slice()).unwrap_or_default();
    if cifs.is_empty() {
        return eroare("Nu exista niciun CIF pentru care sa aveti drept in SPV".to_string());
    }
    if !cifs.iter().any(|c| c.trim_start_matches('0') == cif) {
        return eroare(format!("Nu aveti drept in SPV pentru CIF={cif}"));
    }
    let now = st.now();
    let limit = st.lista_daily_limit_per_cif;
    let count = st
        .lista_daily
        .entry((cif.to_string(), now.date_naive()))
        .or_insert(0);
    *count = count.saturating_add(1);
    if *count > limit {
        return eroare(format!(
            "S-au facut deja {limit} interogari de lista mesaje de catre utilizatori in cursul zilei"
        ));
    }
    let since = now - Duration::days(zile);
    let mesaje: Vec<_> = st
        .messages
        .get(cif)
        .map(|list| {
            list.iter()
                .filter(|m| m.created_at >= since && m.created_at <= now)
                .map(|m| {
                    json!({
                        "data_creare": anaf_timestamp(m.created_at),
                        "cif": m.cif,
                        "id_solicitare": m.id_solicitare,
                        "detalii": m.detalii,
                        "tip": m.tip,
                        "id": m.id,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    if mesaje.is_empty() {
        return eroare(format!("Nu exista mesaje in ultimele {zile} zile"));
    }
    let serial = cert.map(|c| c.serial).unwrap_or_default();
    HttpResponse::Ok().json(json!({
        "mesaje": mesaje,
        "serial": serial,
        "cui": cif,
        "titlu": format!("Lista Mesaje disponibile din ultimele {zile} zile"),
    }))
}

/// ANAF's `data_creare` format: `yyyyMMddHHmm`.
fn anaf_timestamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%d%H%M").to_string()
}
