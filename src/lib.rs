//! anaf-portal: connects Romanian companies to ANAF e-Factura and keeps their OAuth tokens alive.

pub mod anaf;
pub mod api;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod i18n;
pub mod secrets;
pub mod startup;
pub mod telemetry;
pub mod timestamps;
pub mod tokens;
pub mod web;
