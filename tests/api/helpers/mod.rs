//! The fixtures every test module shares, by concern; test modules import only from here, never
//! from one another.
//!
//! - `accounts`: an account's own journeys: the sandbox mailbox, named browsers, the CLI.
//! - `app`: the application under test (`spawn_app*`, `TestApp`, its HTTP basics, the database).
//! - `anaf`: ANAF, the sandbox simulator inside the app and the standalone one (`ExternalAnaf`),
//!   and the simulator's certificates and the CIFs they cover.
//! - `portal`: journeys through the portal's pages: companies, authorization links, members.
//! - `api`: the REST API with an API key, and its problem bodies.
//! - `mail`: a real SMTP server that keeps what it receives.
//! - `webhooks`: a webhook receiver, the reference check of signatures, endpoints.
//! - `child_portal`: the portal as a separate process, and a browser for it.
//! - `builders`: data arranged for a test (CIFs, companies in trouble).

mod accounts;
mod anaf;
mod api;
mod app;
mod builders;
mod child_portal;
mod mail;
mod portal;
mod webhooks;

pub use accounts::{
    expire_reset_links, is_logged_in, link_in_text, login_from, sandbox_link, sandbox_mails,
    sandbox_subjects, set_password_command,
};
pub use anaf::{
    COVERED, ExternalAnaf, NOT_COVERED, SERIAL_02, serial_with_rights, serial_with_rights_for,
    serial_without_rights,
};
pub use api::{company_choice, problem};
pub use app::{
    STRONG_PASSWORD, TestApp, TestData, client_with, csrf_token, free_port, is_login_redirect,
    location, query_param, skip_unless_required, spawn_app, spawn_app_on, spawn_app_with,
    test_args,
};
pub use builders::{
    Troubled, cif_from, refresh_refused, save_without_refresh_token, three_companies_in_trouble,
};
pub use child_portal::{ChildPortal, browser_for, child_portal};
pub use mail::{SmtpSink, is_address_confirmation};
pub use portal::{
    add_member, english_only_messages, invitations_on_dashboard, make_support, new_user, user_id_of,
};
pub use webhooks::{
    ALL_EVENTS, Received, Receiver, assert_once_each, endpoint_ids, verified_by_reference_library,
    webhook_events,
};
