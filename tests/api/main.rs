//! One integration-test binary: every module drives the real application over HTTP.

mod account_recovery;
mod account_settings;
mod accountant;
mod accounts;
mod browser;
mod connect;
mod engine;
mod helpers;
mod interop;
mod layers;
mod links;
mod notifications;
mod refresh_safety;
mod refresh_walk;
mod registry;
mod rest_api;
mod review_fixes;
mod roles;
mod security;
mod security_review;
mod settings;
mod sharing;
mod token_secrets;
mod trust_boundary;
mod two_factor;
mod webhooks;
