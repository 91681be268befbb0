//! Tokens: encryption at rest (`vault`, `keys`) and `TokenService`, which stores, connects,
//! attaches, probes, reveals, refreshes, imports and deletes token pairs, one file per concern.
//! Every action it performs is recorded in the audit log by the service, once.

pub mod backoff;
mod connect;
mod coverage;
pub mod import;
pub mod keys;
mod lease;
pub mod queries;
mod refresh;
mod refresh_jobs;
mod replay;
mod revocation;
mod rights;
mod secrets;
mod service;
pub mod spool;
mod store;
pub mod vault;

pub use connect::{ConnectError, Connection, Coverage};
pub use coverage::{AttachOutcome, BULK_ATTACH, BulkAttach, Detachment};
pub use import::{ImportError, ImportRequest};
pub use refresh::{RECENT_REFRESH, RefreshOutcome, RefreshRequest};
pub use revocation::{REVOCATION_PENDING, Revocation};
pub use service::{TokenError, TokenService};
pub use store::StorePairError;

// The concerns' own items, for one another (each file imports `super::*`).
use refresh::*;
use service::*;
use store::*;
