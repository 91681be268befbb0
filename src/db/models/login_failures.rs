use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::login_failures;

#[derive(Insertable)]
#[diesel(table_name = login_failures)]
struct NewLoginFailure<'a> {
    subject: &'a str,
    failed_at: NaiveDateTime,
}

/// How many failures `subject` has since `since`, and when the oldest of them happened.
pub fn count_since(
    conn: &mut DbConnection,
    subject: &str,
    since: NaiveDateTime,
) -> QueryResult<(i64, Option<NaiveDateTime>)> {
    login_failures::table
        .filter(login_failures::subject.eq(subject))
        .filter(login_failures::failed_at.gt(since))
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::min(login_failures::failed_at),
        ))
        .first(conn)
}

pub fn record(conn: &mut DbConnection, subjects: &[&str], at: NaiveDateTime) -> QueryResult<()> {
    // One row per statement: the multi-backend connection has no portable batch insert.
    for subject in subjects {
        diesel::insert_into(login_failures::table)
            .values(NewLoginFailure {
                subject,
                failed_at: at,
            })
            .execute(conn)?;
    }
    Ok(())
}

pub fn clear(conn: &mut DbConnection, subject: &str) -> QueryResult<usize> {
    diesel::delete(login_failures::table.filter(login_failures::subject.eq(subject))).execute(conn)
}

pub fn delete_older_than(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(login_failures::table.filter(login_failures::failed_at.le(before))).execute(conn)
}
