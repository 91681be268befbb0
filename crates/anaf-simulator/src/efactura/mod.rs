//! e-Factura: the operations on `/{test|prod}/FCTEL/rest/` (upload, stareMesaj, the two lists,
//! descarcare) and the public `validare`/`transformare`, with ANAF's limits, answer shapes and
//! timing, plus the `__sim/efactura/` controls. Everything lives in memory (it is a simulator).

pub(crate) mod answers;
mod control;
mod download;
mod invoice;
mod limits;
mod lists;
mod pdf;
mod public;
pub(crate) mod seed;
mod store;
mod upload;

use std::collections::HashMap;

use actix_web::web;
use chrono::{DateTime, Utc};

use super::SimulatorSettings;

pub use limits::{EfacturaCounters, MinuteCalls};
pub use seed::{InboxSeed, SeededInbox};

pub(crate) use limits::{Counters, DailyCounters};
pub(crate) use store::{Message, Store};

/// ANAF's biggest accepted upload (`Marime fisier transmis mai mare de 10 MB.` past it).
pub(crate) const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;
/// What the body extractor reads: more than ANAF's limit, so that an upload just past 10 MB gets
/// ANAF's own error text instead of actix's 413.
const PAYLOAD_LIMIT_BYTES: usize = 12 * 1024 * 1024;

/// The e-Factura part of the simulator's state.
pub(crate) struct Efactura {
    pub settings: EfacturaSettings,
    /// Messages per CIF, as the lists show them.
    pub messages: HashMap<String, Vec<Message>>,
    pub store: Store,
    pub daily: DailyCounters,
    pub counters: Counters,
}

/// The e-Factura settings that can change at runtime (`__sim/settings`).
#[derive(Clone, Debug)]
pub(crate) struct EfacturaSettings {
    pub processing_delay_seconds: u32,
    pub indexing_lag_seconds: u32,
    pub descarcare_daily_limit: u32,
    pub stare_mesaj_daily_limit: u32,
    pub lista_paginatie_daily_limit_per_cif: u32,
    pub rasp_daily_limit_per_cif: u32,
}

impl Efactura {
    pub fn new(settings: &SimulatorSettings, now: DateTime<Utc>) -> Efactura {
        let mut efactura = Efactura {
            settings: EfacturaSettings {
                processing_delay_seconds: settings.processing_delay_seconds,
                indexing_lag_seconds: settings.indexing_lag_seconds,
                descarcare_daily_limit: settings.descarcare_daily_limit,
                stare_mesaj_daily_limit: settings.stare_mesaj_daily_limit,
                lista_paginatie_daily_limit_per_cif: settings.lista_paginatie_daily_limit_per_cif,
                rasp_daily_limit_per_cif: settings.rasp_daily_limit_per_cif,
            },
            messages: HashMap::new(),
            store: Store::default(),
            daily: DailyCounters::default(),
            counters: Counters::default(),
        };
        seed::default_messages(&mut efactura, now);
        efactura
    }

    /// Adds a message to its CIF's list.
    pub fn post_message(&mut self, message: Message) {
        self.messages
            .entry(message.cif.clone())
            .or_default()
            .push(message);
    }
}

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    let payload = || web::PayloadConfig::new(PAYLOAD_LIMIT_BYTES);
    cfg.service(
        web::resource("/{env:test|prod}/FCTEL/rest/upload")
            .app_data(payload())
            .route(web::post().to(upload::upload)),
    )
    .service(
        web::resource("/{env:test|prod}/FCTEL/rest/uploadb2c")
            .app_data(payload())
            .route(web::post().to(upload::upload_b2c)),
    )
    .route(
        "/{env:test|prod}/FCTEL/rest/stareMesaj",
        web::get().to(upload::stare_mesaj),
    )
    .route(
        "/{env:test|prod}/FCTEL/rest/listaMesajeFactura",
        web::get().to(lists::lista),
    )
    .route(
        "/{env:test|prod}/FCTEL/rest/listaMesajePaginatieFactura",
        web::get().to(lists::lista_paginatie),
    )
    .route(
        "/{env:test|prod}/FCTEL/rest/descarcare",
        web::get().to(download::descarcare),
    )
    .service(
        web::resource("/prod/FCTEL/rest/validare/{standard:FACT1|FCN}")
            .app_data(payload())
            .route(web::post().to(public::validare)),
    )
    .service(
        web::resource("/prod/FCTEL/rest/transformare/{standard:FACT1|FCN}")
            .app_data(payload())
            .route(web::post().to(public::transformare)),
    )
    .service(
        web::resource("/prod/FCTEL/rest/transformare/{standard:FACT1|FCN}/DA")
            .app_data(payload())
            .route(web::post().to(public::transformare_unvalidated)),
    )
    // ANAF serves the public operations on production only; say so explicitly rather than
    // leaving the answer to whatever the simulator is mounted in.
    .route(
        "/test/FCTEL/rest/{operation:validare|transformare}/{rest:.*}",
        web::route().to(public::not_on_test),
    );
    control::configure(cfg);
}

/// A CIF as e-Factura compares them: digits, leading zeros ignored.
pub(crate) fn canonical_cif(cif: &str) -> &str {
    let trimmed = cif.trim_start_matches('0');
    if trimmed.is_empty() { "0" } else { trimmed }
}

/// Whether a certificate's CIF list grants rights on `cif`.
pub(crate) fn has_right(cifs: &[String], cif: &str) -> bool {
    let cif = canonical_cif(cif);
    cifs.iter().any(|c| canonical_cif(c) == cif)
}

/// ANAF's `data_creare` / `dateResponse` format: `yyyyMMddHHmm`.
pub(crate) fn anaf_timestamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%d%H%M").to_string()
}
