//! The public host's `validare` and `transformare` (no authentication, production path only).

use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

use super::super::resource::{admit, query_params, resource_call, too_many_requests};
use super::super::state::State;
use super::super::{SimData, SimEndpoint};
use super::invoice;
use super::{MAX_UPLOAD_BYTES, answers, pdf};

fn too_big() -> Vec<String> {
    vec!["Marime fisier transmis mai mare de 10 MB.".to_string()]
}

pub(crate) async fn validare(
    data: web::Data<SimData>,
    req: HttpRequest,
    body: Bytes,
) -> HttpResponse {
    let params = query_params(&req);
    resource_call(&data.0, SimEndpoint::Validare, &req, &params, |sim| {
        validare_logic(&mut sim.lock(), &body)
    })
    .await
}

fn validare_logic(st: &mut State, body: &[u8]) -> HttpResponse {
    if !admit(st) {
        return too_many_requests();
    }
    st.efactura.counters.validare += 1;
    if body.len() > MAX_UPLOAD_BYTES {
        return answers::validation(&too_big());
    }
    answers::validation(&invoice::check(body).1)
}

pub(crate) async fn transformare(
    data: web::Data<SimData>,
    req: HttpRequest,
    body: Bytes,
) -> HttpResponse {
    transformare_call(data, req, body, true).await
}

/// `transformare/{FACT1|FCN}/DA`: no validation, but the XML must still be readable.
pub(crate) async fn transformare_unvalidated(
    data: web::Data<SimData>,
    req: HttpRequest,
    body: Bytes,
) -> HttpResponse {
    transformare_call(data, req, body, false).await
}

async fn transformare_call(
    data: web::Data<SimData>,
    req: HttpRequest,
    body: Bytes,
    validate: bool,
) -> HttpResponse {
    let params = query_params(&req);
    resource_call(&data.0, SimEndpoint::Transformare, &req, &params, |sim| {
        transformare_logic(&mut sim.lock(), &body, validate)
    })
    .await
}

fn transformare_logic(st: &mut State, body: &[u8], validate: bool) -> HttpResponse {
    if !admit(st) {
        return too_many_requests();
    }
    st.efactura.counters.transformare += 1;
    if body.len() > MAX_UPLOAD_BYTES {
        return answers::validation(&too_big());
    }
    let summary = match invoice::check(body) {
        (Some(summary), problems) if problems.is_empty() || !validate => summary,
        (_, problems) => return answers::validation(&problems),
    };
    HttpResponse::Ok()
        .content_type("application/pdf")
        .body(pdf::render(&summary))
}

/// `/test/FCTEL/rest/{validare|transformare}/…`: ANAF serves these on production only.
pub(crate) async fn not_on_test() -> HttpResponse {
    HttpResponse::NotFound()
        .content_type("text/html; charset=utf-8")
        .body(
            "<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>",
        )
}
