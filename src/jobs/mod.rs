//! Background work: the refresh engine and the company-name lookups.

pub mod name_lookups;
pub mod refresh;
