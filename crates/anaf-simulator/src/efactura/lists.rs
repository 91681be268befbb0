//! `GET listaMesajeFactura` (by days, at most 500 messages) and `GET listaMesajePaginatieFactura`
//! (a window in Unix milliseconds, 500 a page). Both judge on the simulated clock and list only
//! messages already indexed (`data_creare` not in the future), oldest first.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::super::request::Params;
use super::super::resource::{
    admit, authenticate, query_params, resource_call, too_many_requests, unauthorized,
};
use super::super::state::State;
use super::super::{SimData, SimEndpoint, TestCertificate};
use super::answers::{LISTA_TITLU, eroare};
use super::limits::bump;
use super::store::{Message, matches_filter};
use super::{anaf_timestamp, canonical_cif, has_right};

/// Messages in one answer of either list.
pub(crate) const PAGE_SIZE: usize = 500;
/// How far back either list reaches.
const WINDOW_DAYS: i64 = 60;

pub(crate) async fn lista(data: web::Data<SimData>, req: HttpRequest) -> HttpResponse {
    let params = query_params(&req);
    resource_call(&data.0, SimEndpoint::Lista, &req, &params, |sim| {
        lista_logic(&mut sim.lock(), &req, &params)
    })
    .await
}

pub(crate) async fn lista_paginatie(data: web::Data<SimData>, req: HttpRequest) -> HttpResponse {
    let params = query_params(&req);
    resource_call(&data.0, SimEndpoint::ListaPaginatie, &req, &params, |sim| {
        paginatie_logic(&mut sim.lock(), &req, &params)
    })
    .await
}

/// Why a list call is refused before anything is listed.
enum Refusal {
    /// The bearer token (401).
    Token(&'static str),
    /// An `eroare` text (HTTP 200).
    Eroare(String),
}

impl Refusal {
    fn answer(self) -> HttpResponse {
        match self {
            Refusal::Token(description) => unauthorized(description),
            Refusal::Eroare(message) => eroare(LISTA_TITLU, message),
        }
    }
}

/// The checks both lists share, in the simulator's order: the CIF's form, the token, the
/// certificate's rights. `Ok` carries the certificate and the canonical CIF.
fn admit_for_cif(
    st: &State,
    req: &HttpRequest,
    cif: &str,
) -> Result<(Option<TestCertificate>, String), Refusal> {
    if !cif.bytes().all(|b| b.is_ascii_digit()) || cif.len() > 18 {
        return Err(Refusal::Eroare(format!(
            "CIF introdus= {cif} nu este un numar"
        )));
    }
    let cert = authenticate(st, req).map_err(Refusal::Token)?;
    let cif = canonical_cif(cif).to_string();
    let cifs = cert.as_ref().map(|c| c.cifs.as_slice()).unwrap_or_default();
    if cifs.is_empty() {
        return Err(Refusal::Eroare(
            "Nu exista niciun CIF pentru care sa aveti drept in SPV".to_string(),
        ));
    }
    if !has_right(cifs, &cif) {
        return Err(Refusal::Eroare(format!(
            "Nu aveti drept in SPV pentru CIF={cif}"
        )));
    }
    Ok((cert, cif))
}

/// `filtru` as a letter; `Err` is the `eroare` for an unknown one.
fn filter_of(params: &Params) -> Result<Option<char>, String> {
    match params.get("filtru") {
        None => Ok(None),
        Some(f @ ("E" | "T" | "P" | "R")) => Ok(f.chars().next()),
        Some(other) => Err(format!(
            "Valoarea {other} a parametrului filtru nu este permisa (E, T, P, R)"
        )),
    }
}

/// The CIF's messages created in `[from, to]`, passing `filtru`, oldest first.
fn window<'a>(
    st: &'a State,
    cif: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    filtru: Option<char>,
) -> Vec<&'a Message> {
    let mut found: Vec<&Message> = st
        .efactura
        .messages
        .get(cif)
        .into_iter()
        .flatten()
        .filter(|m| m.created_at >= from && m.created_at <= to)
        .filter(|m| matches_filter(&m.tip, filtru))
        .collect();
    found.sort_by(|a, b| {
        a.created_at
            .cmp(&b.created_at)
            .then_with(|| a.id.cmp(&b.id))
    });
    found
}

fn message_json(m: &Message) -> Value {
    json!({
        "data_creare": anaf_timestamp(m.created_at),
        "cif": m.cif,
        "id_solicitare": m.id_solicitare,
        "detalii": m.detalii,
        "tip": m.tip,
        "id": m.id,
    })
}

fn lista_logic(st: &mut State, req: &HttpRequest, params: &Params) -> HttpResponse {
    if !admit(st) {
        return too_many_requests();
    }
    if let Err(description) = authenticate(st, req) {
        return unauthorized(description);
    }
    let (Some(cif), Some(zile_raw)) = (params.get("cif"), params.get("zile")) else {
        return HttpResponse::BadRequest().json(json!({
            "eroare": "Parametrii zile si cif sunt obligatorii",
            "titlu": LISTA_TITLU
        }));
    };
    if !cif.bytes().all(|b| b.is_ascii_digit()) || cif.len() > 18 {
        return eroare(LISTA_TITLU, format!("CIF introdus= {cif} nu este un numar"));
    }
    let zile = match zile_raw.parse::<i64>() {
        Ok(z) if (1..=WINDOW_DAYS).contains(&z) => z,
        _ => return eroare(LISTA_TITLU, "Numarul de zile trebuie sa fie intre 1 si 60"),
    };
    let filtru = match filter_of(params) {
        Ok(f) => f,
        Err(message) => return eroare(LISTA_TITLU, message),
    };
    let (cert, cif) = match admit_for_cif(st, req, cif) {
        Ok(found) => found,
        Err(refusal) => return refusal.answer(),
    };
    let now = st.now();
    bump(&mut st.efactura.counters.lista, &cif);
    let limit = st.lista_daily_limit_per_cif;
    if st.efactura.daily.lista.count(&cif, now.date_naive()) > limit {
        return eroare(
            LISTA_TITLU,
            format!(
                "S-au facut deja {limit} interogari de lista mesaje de catre utilizatori in cursul zilei"
            ),
        );
    }
    let mesaje = window(st, &cif, now - Duration::days(zile), now, filtru);
    if mesaje.is_empty() {
        return eroare(
            LISTA_TITLU,
            format!("Nu exista mesaje in ultimele {zile} zile"),
        );
    }
    if mesaje.len() > PAGE_SIZE {
        return eroare(
            LISTA_TITLU,
            "Lista de mesaje este mai mare decat numarul de 500 elemente permise in pagina. \
             Folositi endpoint-ul cu paginatie.",
        );
    }
    HttpResponse::Ok().json(json!({
        "mesaje": mesaje.into_iter().map(message_json).collect::<Vec<_>>(),
        "serial": cert.map(|c| c.serial).unwrap_or_default(),
        "cui": cif,
        "titlu": format!("Lista Mesaje disponibile din ultimele {zile} zile"),
    }))
}

/// A Unix-milliseconds parameter; `Err` is the `eroare` for a missing or non-numeric one.
fn millis(params: &Params, name: &str) -> Result<(i64, DateTime<Utc>), String> {
    let raw = params.get(name).unwrap_or_default();
    raw.parse::<i64>()
        .ok()
        .and_then(|ms| DateTime::from_timestamp_millis(ms).map(|t| (ms, t)))
        .ok_or_else(|| format!("Parametrul {name}= {raw} nu este un numar de milisecunde valid"))
}

fn paginatie_logic(st: &mut State, req: &HttpRequest, params: &Params) -> HttpResponse {
    if !admit(st) {
        return too_many_requests();
    }
    if let Err(description) = authenticate(st, req) {
        return unauthorized(description);
    }
    let required = ["startTime", "endTime", "cif", "pagina"];
    if required.iter().any(|name| params.get(name).is_none()) {
        return HttpResponse::BadRequest().json(json!({
            "eroare": "Parametrii startTime, endTime, cif si pagina sunt obligatorii",
            "titlu": LISTA_TITLU
        }));
    }
    let cif = params.get("cif").unwrap_or_default();
    let filtru = match filter_of(params) {
        Ok(f) => f,
        Err(message) => return eroare(LISTA_TITLU, message),
    };
    let (cert, cif) = match admit_for_cif(st, req, cif) {
        Ok(found) => found,
        Err(refusal) => return refusal.answer(),
    };
    let now = st.now();
    bump(&mut st.efactura.counters.lista_paginatie, &cif);
    let limit = st.efactura.settings.lista_paginatie_daily_limit_per_cif;
    if st
        .efactura
        .daily
        .lista_paginatie
        .count(&cif, now.date_naive())
        > limit
    {
        return eroare(
            LISTA_TITLU,
            format!(
                "S-au facut deja {limit} interogari de lista mesaje paginata de catre utilizatori in cursul zilei"
            ),
        );
    }
    let ((start_ms, start), (end_ms, end)) =
        match (millis(params, "startTime"), millis(params, "endTime")) {
            (Ok(start), Ok(end)) => (start, end),
            (Err(message), _) | (_, Err(message)) => return eroare(LISTA_TITLU, message),
        };
    let now_ms = now.timestamp_millis();
    if end > now {
        return eroare(
            LISTA_TITLU,
            format!(
                "endTime = {end_ms} nu poate in viitor fata de momentul requestului = {now_ms}"
            ),
        );
    }
    if start < now - Duration::days(WINDOW_DAYS) {
        return eroare(
            LISTA_TITLU,
            format!(
                "startTime = {start_ms} nu poate fi mai vechi de {WINDOW_DAYS} de zile fata de momentul requestului = {now_ms}"
            ),
        );
    }
    if start > end {
        return eroare(
            LISTA_TITLU,
            format!("startTime = {start_ms} nu poate fi mai mare decat endTime = {end_ms}"),
        );
    }
    let pagina_raw = params.get("pagina").unwrap_or_default();
    let pagina = match pagina_raw.parse::<usize>() {
        Ok(p) if p >= 1 => p,
        _ => {
            return eroare(
                LISTA_TITLU,
                format!("Pagina solicitata {pagina_raw} nu este un numar mai mare decat 0"),
            );
        }
    };
    let mesaje = window(st, &cif, start, end, filtru);
    if mesaje.is_empty() {
        return eroare(LISTA_TITLU, "Nu exista mesaje in intervalul selectat");
    }
    let total = mesaje.len();
    let pages = total.div_ceil(PAGE_SIZE);
    if pagina > pages {
        return eroare(
            LISTA_TITLU,
            format!(
                "Pagina solicitata {pagina} este mai mare decat numarul toatal de pagini {pages}"
            ),
        );
    }
    let page: Vec<Value> = mesaje
        .into_iter()
        .skip((pagina - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .map(message_json)
        .collect();
    let in_page = page.len();
    HttpResponse::Ok().json(json!({
        "mesaje": page,
        "numar_inregistrari_in_pagina": in_page,
        "numar_total_inregistrari_per_pagina": PAGE_SIZE,
        "numar_total_inregistrari": total,
        "numar_total_pagini": pages,
        "index_pagina_curenta": pagina,
        "serial": cert.map(|c| c.serial).unwrap_or_default(),
        "cui": cif,
        "titlu": format!("Lista Mesaje paginata pentru CIF={cif}"),
    }))
}
