//! anaf-portal: connects Romanian companies to ANAF e-Factura and keeps their OAuth tokens alive.
//!
//! Layers, each using only those below it: `domain` (parsed values) → `db` (rows and queries),
//! `anaf` (the ANAF client) → services (`tokens`, `companies`, `audit`) → `app` (their bundle) →
//! `auth` → the two front ends, `web` (HTML pages) and `api` (REST) → `startup` (wiring).

pub mod accounts;
pub mod anaf;
pub mod api;
pub mod app;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod companies;
pub mod config;
pub mod db;
pub mod domain;
pub mod engine;
pub mod error;
pub mod http;
pub mod i18n;
pub mod links;
pub mod metrics;
pub mod notify;
pub mod secrets;
pub mod startup;
pub mod telemetry;
pub mod tokens;
pub mod web;
pub mod webhooks;

/// The largest request body the portal reads (a form or a JSON document): 64 KiB.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
