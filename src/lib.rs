//! anaf-portal: connects Romanian companies to ANAF e-Factura and keeps their OAuth tokens alive.
//!
//! Layers, each using only those below it:
//! - `domain`: parsed values and the rules on them, no I/O;
//! - `db` (the pool, tables and queries) and `anaf` (the ANAF client and its call budget);
//! - `services`: what the portal does; the only code that writes rows and audit events;
//! - `jobs`: background work, each job calling services;
//! - `http`: the pages (`http::web`) and the REST API (`http::api`), handlers that parse, call a
//!   service and render;
//! - `startup` (wiring) and `cli` (commands), used by `main`.
//!
//! Beside them, used by the layers above them: `config`, `i18n`, `metrics`, `secrets`, `telemetry`.

pub mod anaf;
pub mod archive;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod http;
pub mod i18n;
pub mod jobs;
pub mod metrics;
pub mod secrets;
pub mod services;
pub mod startup;
pub mod telemetry;

/// The largest request body the portal reads (a form or a JSON document): 64 KiB.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
