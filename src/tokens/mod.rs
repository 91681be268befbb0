//! The token vault: encryption at rest, token status, and the service that stores, refreshes,
//! reveals and deletes token pairs.

pub mod service;
pub mod status;
pub mod vault;

pub use service::{RefreshOutcome, TokenService};
pub use status::TokenStatus;
