//! `__sim/efactura/`: seeding an inbox and reading or resetting the counters.

use actix_web::{HttpResponse, web};

use super::super::SimData;
use super::super::request::bad_request;
use super::seed::{self, InboxSeed};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/__sim/efactura/inbox", web::post().to(seed_inbox))
        .service(
            web::resource("/__sim/efactura/counters")
                .route(web::get().to(counters))
                .route(web::delete().to(reset_counters)),
        );
}

async fn seed_inbox(data: web::Data<SimData>, body: web::Bytes) -> HttpResponse {
    let request: InboxSeed = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return bad_request("invalid_request", &format!("invalid JSON body: {e}")),
    };
    match seed::seed_inbox(&mut data.0.lock(), &request) {
        Ok(seeded) => HttpResponse::Ok().json(seeded),
        Err(e) => bad_request("invalid_request", &e),
    }
}

async fn counters(data: web::Data<SimData>) -> HttpResponse {
    HttpResponse::Ok().json(data.0.efactura_counters())
}

async fn reset_counters(data: web::Data<SimData>) -> HttpResponse {
    data.0.reset_efactura_counters();
    HttpResponse::Ok().json(data.0.efactura_counters())
}
