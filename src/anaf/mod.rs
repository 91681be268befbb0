//! Everything that speaks ANAF: the OAuth and e-Factura client and JWT reading. The simulator
//! that stands in for ANAF in sandbox mode is its own crate, `anaf-simulator`.

pub mod client;
pub mod jwt;
