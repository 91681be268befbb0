//! Parsed values: once a value of these types exists, it is valid.

mod cif;
mod email;
mod password;
mod role;

pub use cif::{Cif, CifProblem};
pub use email::Email;
pub use password::{Password, PasswordProblem};
pub use role::Role;
