//! Who is calling: passwords, the database session store, the typed session, the current-user
//! extractor, CSRF protection and the failed-login limiter.

pub mod csrf;
pub mod current_user;
pub mod login_limiter;
pub mod password;
pub mod session;
pub mod session_store;

pub use current_user::{CurrentUser, PlatformAdmin, SupportStaff};
pub use password::Passwords;
pub use session::PortalSession;
