//! `sandbox_mails`: in sandbox mode without SMTP, the mails the portal would have sent, shown on
//! the sandbox mailbox page instead of leaving the machine.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::models::{KeyLookup, now};
use crate::db::schema::sandbox_mails;
use crate::domain::SandboxMailId;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sandbox_mails)]
pub struct SandboxMail {
    pub id: SandboxMailId,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub created_at: NaiveDateTime,
}

pub fn insert(
    conn: &mut DbConnection,
    recipient: &str,
    subject: &str,
    body_text: &str,
    body_html: &str,
) -> QueryResult<SandboxMailId> {
    diesel::insert_into(sandbox_mails::table)
        .values((
            sandbox_mails::recipient.eq(recipient),
            sandbox_mails::subject.eq(subject),
            sandbox_mails::body_text.eq(body_text),
            sandbox_mails::body_html.eq(body_html),
            sandbox_mails::created_at.eq(now()),
        ))
        .returning(sandbox_mails::id)
        .get_result(conn)
}

/// A page of mails, newest first, and how many there are.
pub fn page(
    conn: &mut DbConnection,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<SandboxMail>, i64)> {
    let total = sandbox_mails::table.count().get_result(conn)?;
    let rows = sandbox_mails::table
        .order(sandbox_mails::id.desc())
        .offset(offset)
        .limit(limit)
        .select(SandboxMail::as_select())
        .load(conn)?;
    Ok((rows, total))
}

pub fn find(conn: &mut DbConnection, id: SandboxMailId) -> QueryResult<Option<SandboxMail>> {
    sandbox_mails::table
        .find(id)
        .select(SandboxMail::as_select())
        .get_optional(conn)
}

/// Forgets mails older than `before` (a sandbox keeps a week of them).
pub fn delete_older_than(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(sandbox_mails::table.filter(sandbox_mails::created_at.lt(before))).execute(conn)
}
