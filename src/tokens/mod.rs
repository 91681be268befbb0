//! The token vault: encryption at rest, token status, and the services that store, refresh and
//! delete token pairs.

pub mod vault;
