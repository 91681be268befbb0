//! Rows and the queries that read and write them, one module per table.

pub mod api_keys;
pub mod audit;
pub mod companies;
pub mod login_failures;
pub mod oauth_transactions;
pub mod refresh_jobs;
pub mod sessions;
pub mod tokens;
pub mod users;

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
