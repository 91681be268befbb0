//! The HTTP front ends: `web` (server-rendered pages), `api` (REST, problem+json), `auth` (who is
//! calling: sessions, CSRF) and `state` (the services every handler may use), over the plumbing
//! both share (`request`).

pub mod api;
pub mod auth;
pub mod error;
pub mod gateway;
pub mod request;
pub mod state;
pub mod web;

pub use request::*;
