use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::models::now;
use crate::db::schema::refresh_jobs;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = refresh_jobs)]
pub struct RefreshJob {
    pub id: i64,
    pub user_id: i64,
    pub total: i32,
    pub succeeded: i32,
    pub failed: i32,
    pub created_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(table_name = refresh_jobs)]
struct NewJob {
    user_id: i64,
    total: i32,
    succeeded: i32,
    failed: i32,
    created_at: NaiveDateTime,
}

pub fn create(conn: &mut DbConnection, user_id: i64, total: i32) -> QueryResult<i64> {
    diesel::insert_into(refresh_jobs::table)
        .values(NewJob {
            user_id,
            total,
            succeeded: 0,
            failed: 0,
            created_at: now(),
        })
        .returning(refresh_jobs::id)
        .get_result(conn)
}

pub fn find_for_user(
    conn: &mut DbConnection,
    id: i64,
    user_id: i64,
) -> QueryResult<Option<RefreshJob>> {
    refresh_jobs::table
        .find(id)
        .filter(refresh_jobs::user_id.eq(user_id))
        .select(RefreshJob::as_select())
        .first(conn)
        .optional()
}

pub fn count_one(conn: &mut DbConnection, id: i64, succeeded: bool) -> QueryResult<usize> {
    let target = refresh_jobs::table.find(id);
    if succeeded {
        diesel::update(target)
            .set(refresh_jobs::succeeded.eq(refresh_jobs::succeeded + 1))
            .execute(conn)
    } else {
        diesel::update(target)
            .set(refresh_jobs::failed.eq(refresh_jobs::failed + 1))
            .execute(conn)
    }
}

pub fn finish(conn: &mut DbConnection, id: i64) -> QueryResult<usize> {
    diesel::update(refresh_jobs::table.find(id))
        .set(refresh_jobs::finished_at.eq(Some(now())))
        .execute(conn)
}
