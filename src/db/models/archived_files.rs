//! `archived_files`: the archive's index, one row per e-Factura file kept (`crate::archive`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::dialect::insert_ignore;
use crate::db::schema::archived_files;
use crate::domain::EfacturaEnvironment;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = archived_files)]
pub struct ArchivedFile {
    pub environment: String,
    pub message_id: String,
    pub cif: String,
    pub sha256: String,
    pub size_bytes: i64,
    pub storage_key: String,
    pub stored_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = archived_files)]
pub struct NewArchivedFile {
    pub environment: String,
    pub message_id: String,
    pub cif: String,
    pub sha256: String,
    pub size_bytes: i64,
    pub storage_key: String,
    pub stored_at: NaiveDateTime,
}

pub fn find(
    conn: &mut DbConnection,
    environment: EfacturaEnvironment,
    message_id: &str,
) -> QueryResult<Option<ArchivedFile>> {
    archived_files::table
        .find((environment.path(), message_id))
        .select(ArchivedFile::as_select())
        .first(conn)
        .optional()
}

/// Records a kept file; a second record of the same id changes nothing (0).
pub fn insert(conn: &mut DbConnection, row: &NewArchivedFile) -> QueryResult<usize> {
    insert_ignore!(conn, diesel::insert_into(archived_files::table).values(row))
}

/// How many files are kept for `cif`.
pub fn count_for_cif(conn: &mut DbConnection, cif: &str) -> QueryResult<i64> {
    archived_files::table
        .filter(archived_files::cif.eq(cif))
        .count()
        .get_result(conn)
}
