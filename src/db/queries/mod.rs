//! Read models: the queries that assemble what pages and the API show from several tables.

pub mod companies;
pub mod tokens;
