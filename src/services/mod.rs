//! The services: what the portal does, each over the database and ANAF, and the only code that
//! writes rows (`db::models`) and audit events. Handlers and jobs call them.

pub mod accounts;
pub mod audit;
pub mod companies;
pub mod lifecycle;
pub mod links;
pub mod notify;
pub mod tokens;
pub mod webhooks;
