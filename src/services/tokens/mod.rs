//! The token vault: encryption at rest and the service that stores, refreshes, reveals, imports
//! and deletes token pairs.

pub mod backoff;
pub mod import;
pub mod keys;
pub mod queries;
pub mod service;
pub mod spool;
pub mod vault;

pub use import::{ImportError, ImportRequest};
pub use service::{
    AttachOutcome, BulkAttach, ConnectError, Connection, Coverage, Detachment, REVOCATION_PENDING,
    RefreshOutcome, RefreshRequest, Revocation, StorePairError, TokenError, TokenService,
};
