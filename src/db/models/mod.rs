//! Rows and the queries that read and write them, one module per table.

pub mod anaf_budget;
pub mod api_keys;
pub mod archived_files;
pub mod audit;
pub mod call_counts;
pub mod companies;
pub mod data_upgrades;
pub mod efactura;
pub mod email_changes;
pub mod email_verifications;
pub mod engine_instances;
pub mod events;
pub mod invitations;
pub mod links;
pub mod login_failures;
pub mod mail_outbox;
pub mod name_lookups;
pub mod notifications;
pub mod oauth_transactions;
pub mod passkeys;
pub mod password_resets;
pub mod refresh_jobs;
pub mod sandbox_mails;
pub mod sessions;
pub mod token_facts;
pub mod token_refresh;
pub mod token_rights;
pub mod token_secrets;
pub mod tokens;
pub mod two_factor;
pub mod users;
pub mod webhooks;

use diesel::QueryResult;
use diesel::query_dsl::{LoadQuery, RunQueryDsl};

use crate::db::DbConnection;

/// `first()` for a lookup by a key (at most one row can match), without its `LIMIT ?`. SQLite's
/// planner reads the value bound to a LIMIT parameter, so every new binding re-prepares the
/// statement: on the queries every request runs (session, API key) that cost more than the
/// lookup itself. Only for queries whose filter is a primary or unique key.
pub trait KeyLookup: RunQueryDsl<DbConnection> + Sized {
    fn get_optional<'q, U>(self, conn: &mut DbConnection) -> QueryResult<Option<U>>
    where
        Self: LoadQuery<'q, DbConnection, U>,
    {
        Ok(self.load::<U>(conn)?.into_iter().next())
    }
}

impl<Q: RunQueryDsl<DbConnection>> KeyLookup for Q {}

/// `text` made literal inside a LIKE pattern (used with `.escape('\\')`).
pub fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Now, in UTC, as stored in every timestamp column.
pub fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}
