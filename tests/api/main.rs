//! One integration-test binary: every module drives the real application over HTTP.

mod accounts;
mod connect;
mod helpers;
mod rest_api;
mod security;
mod settings;
mod simulator;
