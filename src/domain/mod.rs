//! Parsed values: once a value of these types exists, it is valid.

mod email;
mod password;
mod role;

pub use email::Email;
pub use password::{Password, PasswordProblem};
pub use role::Role;
