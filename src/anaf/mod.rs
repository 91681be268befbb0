//! Everything that speaks ANAF: the OAuth and e-Factura client, JWT reading, and the public
//! company registry's client. The simulator that stands in for ANAF in sandbox mode is its own
//! crate, `anaf-simulator`.

pub mod budget;
pub mod client;
pub mod efactura;
pub mod jwt;
pub mod registry;
