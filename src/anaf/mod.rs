//! Everything that speaks ANAF: the OAuth and e-Factura client, JWT reading, and the simulator.

pub mod client;
pub mod jwt;
pub mod simulator;
