//! The one place that knows how the two backends differ in the queries the portal's claims and
//! idempotent writes are made of. Macros, because the Diesel bounds a generic function would need
//! for "this statement runs on either backend" are longer than the statements themselves.
//!
//! - `insert_ignore!(conn, insert)`: an INSERT that does nothing when the row (by any unique
//!   constraint) is there already; how many rows it wrote (0 or 1 per row). PostgreSQL waits for
//!   a concurrent inserter of the same key to commit and then does nothing: no error, so no
//!   savepoint is needed around it.
//! - `load_skip_locked!(conn, query)`: loads a claim's candidate rows, locking them. PostgreSQL:
//!   `FOR UPDATE SKIP LOCKED`, so instances claiming at once each get different rows; SQLite: a
//!   plain load, since its write transactions run one at a time (call it inside
//!   `write_transaction`, which begins them `IMMEDIATE`).

/// `INSERT … ON CONFLICT DO NOTHING` on either backend; evaluates to `QueryResult<usize>`.
#[macro_export]
macro_rules! insert_ignore {
    ($conn:expr, $insert:expr $(,)?) => {{
        let conn: &mut $crate::db::DbConnection = $conn;
        let insert = $insert;
        match conn {
            $crate::db::DbConnection::Postgres(pg) => {
                ::diesel::RunQueryDsl::execute(insert.on_conflict_do_nothing(), pg)
            }
            $crate::db::DbConnection::Sqlite(sqlite) => {
                ::diesel::RunQueryDsl::execute(insert.on_conflict_do_nothing(), sqlite)
            }
        }
    }};
}

/// `query` loaded with `FOR UPDATE SKIP LOCKED` on PostgreSQL, plainly on SQLite; evaluates to
/// `QueryResult<Vec<_>>` (name the row type at the call site).
#[macro_export]
macro_rules! load_skip_locked {
    ($conn:expr, $query:expr $(,)?) => {{
        // `$query` is written out in each arm: a selection's row type is tied to one backend.
        let conn: &mut $crate::db::DbConnection = $conn;
        match conn {
            $crate::db::DbConnection::Postgres(pg) => {
                ::diesel::RunQueryDsl::load($query.for_update().skip_locked(), pg)
            }
            sqlite @ $crate::db::DbConnection::Sqlite(_) => {
                ::diesel::RunQueryDsl::load($query, sqlite)
            }
        }
    }};
}

pub use crate::{insert_ignore, load_skip_locked};

#[cfg(test)]
mod tests {
    use diesel::prelude::*;

    use crate::db::schema::call_counts;
    use crate::db::testing::{Backend, databases};
    use crate::db::{DbConnection, write_transaction};

    fn period() -> chrono::NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .expect("valid")
            .naive_utc()
    }

    fn insert_once(conn: &mut DbConnection, counter: &str, calls: i32) -> QueryResult<usize> {
        super::insert_ignore!(
            conn,
            diesel::insert_into(call_counts::table).values((
                call_counts::counter.eq(counter),
                call_counts::period.eq(period()),
                call_counts::calls.eq(calls),
            ))
        )
    }

    #[test]
    fn insert_ignore_writes_once_and_keeps_the_first_row() {
        for (backend, db) in databases() {
            let mut conn = db.get_blocking().expect("connection");
            assert_eq!(insert_once(&mut conn, "dialect", 1).expect("insert"), 1);
            assert_eq!(
                insert_once(&mut conn, "dialect", 2).expect("conflict"),
                0,
                "{backend:?}"
            );
            let calls: i32 = call_counts::table
                .find(("dialect", period()))
                .select(call_counts::calls)
                .first(&mut *conn)
                .expect("row");
            assert_eq!(calls, 1, "the first row stays ({backend:?})");
            // Inside a transaction too: a conflict is no error that would abort it.
            let kept = write_transaction(&mut conn, |conn| {
                insert_once(conn, "dialect", 3)?;
                insert_once(conn, "dialect-2", 3)
            })
            .expect("transaction");
            assert_eq!(kept, 1, "{backend:?}");
        }
    }

    #[test]
    fn load_skip_locked_hands_locked_rows_to_no_one_else() {
        for (backend, db) in databases() {
            let mut first = db.get_blocking().expect("connection");
            for counter in ["a", "b"] {
                insert_once(&mut first, counter, 0).expect("insert");
            }
            let candidates = || {
                call_counts::table
                    .filter(call_counts::counter.eq_any(["a", "b"]))
                    .order(call_counts::counter)
                    .limit(1)
                    .select(call_counts::counter)
            };
            let claimed: Vec<String> = write_transaction(&mut first, |conn| {
                let mine: Vec<String> = super::load_skip_locked!(conn, candidates())?;
                if backend == Backend::Postgres {
                    // Another connection, while this transaction holds its row, gets the other.
                    let mut second = db.get_blocking().expect("second connection");
                    let theirs: Vec<String> = write_transaction(&mut second, |conn| {
                        super::load_skip_locked!(conn, candidates())
                    })?;
                    assert_eq!(theirs, ["b"], "the locked row is skipped");
                }
                Ok::<_, diesel::result::Error>(mine)
            })
            .expect("claim");
            assert_eq!(claimed, ["a"], "{backend:?}");
        }
    }
}
