//! Parsed values: once a value of these types exists, it is valid. Those stored in the database
//! map to a TEXT column through their `as_str` and `FromStr` (`crate::db::text_column`).

mod audit;
mod cif;
mod email;
mod password;
mod role;
mod token;

pub use audit::{Actor, AuditAction, AuditEvent, Outcome};
pub use cif::{Cif, CifProblem};
pub use email::Email;
pub use password::{Password, PasswordProblem};
pub use role::{MemberRole, Role};
pub use token::{EXPIRING_SOON_DAYS, Rights, TokenState, TokenStatus};
