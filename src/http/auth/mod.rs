//! Who is calling: the database session store, the typed session, the current-user extractor
//! and CSRF protection.

pub mod csrf;
pub mod current_user;
pub mod guards;
pub mod session;
pub mod session_store;

pub use current_user::{CurrentUser, PlatformAdmin, SupportStaff};
pub use session::PortalSession;
