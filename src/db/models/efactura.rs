//! What the gateway learnt from e-Factura's answers: the messages listed (`efactura_messages`,
//! how a download id finds its CIF), the uploads made (`efactura_uploads`, how an upload index
//! finds its CIF), and the answers that were not `ok` (`efactura_call_errors`, for the company
//! page).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::dialect::insert_ignore;
use crate::db::schema::{efactura_call_errors, efactura_messages, efactura_uploads};
use crate::domain::ApiKeyId;
use crate::domain::EfacturaEnvironment;

/// How many of a company's failed answers are kept.
pub const ERRORS_KEPT_PER_CIF: i64 = 20;

/// A message as a list showed it.
pub struct ListedRow<'a> {
    pub id: &'a str,
    pub id_solicitare: &'a str,
    pub tip: &'a str,
    pub data_creare: &'a str,
    pub detalii: &'a str,
}

/// Records the listed messages of `cif` not recorded yet: one read of those already known, then
/// an insert for each new one (a list asked again costs one query).
pub fn record_messages(
    conn: &mut DbConnection,
    environment: EfacturaEnvironment,
    cif: &str,
    messages: &[ListedRow<'_>],
    at: NaiveDateTime,
) -> QueryResult<usize> {
    if messages.is_empty() {
        return Ok(0);
    }
    let ids: Vec<&str> = messages.iter().map(|m| m.id).collect();
    let known: std::collections::HashSet<String> = efactura_messages::table
        .filter(efactura_messages::environment.eq(environment.path()))
        .filter(efactura_messages::cif.eq(cif))
        .filter(efactura_messages::message_id.eq_any(&ids))
        .select(efactura_messages::message_id)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    let mut added = 0;
    for message in messages.iter().filter(|m| !known.contains(m.id)) {
        let row = (
            efactura_messages::environment.eq(environment.path()),
            efactura_messages::message_id.eq(message.id),
            efactura_messages::cif.eq(cif),
            efactura_messages::id_solicitare.eq(message.id_solicitare),
            efactura_messages::tip.eq(message.tip),
            efactura_messages::data_creare.eq(message.data_creare),
            efactura_messages::detalii.eq(message.detalii),
            efactura_messages::seen_at.eq(at),
        );
        added += insert_ignore!(
            conn,
            diesel::insert_into(efactura_messages::table).values(row)
        )?;
    }
    Ok(added)
}

/// An upload through the gateway, as ANAF registered it.
pub struct NewUpload<'a> {
    pub environment: EfacturaEnvironment,
    pub upload_index: &'a str,
    pub cif: &'a str,
    pub standard: &'a str,
    pub api_key_id: Option<ApiKeyId>,
    pub sha256: &'a str,
    pub size_bytes: i64,
    pub at: NaiveDateTime,
}

pub fn record_upload(conn: &mut DbConnection, upload: &NewUpload<'_>) -> QueryResult<usize> {
    insert_ignore!(
        conn,
        diesel::insert_into(efactura_uploads::table).values((
            efactura_uploads::environment.eq(upload.environment.path()),
            efactura_uploads::upload_index.eq(upload.upload_index),
            efactura_uploads::cif.eq(upload.cif),
            efactura_uploads::standard.eq(upload.standard),
            efactura_uploads::api_key_id.eq(upload.api_key_id),
            efactura_uploads::sha256.eq(upload.sha256),
            efactura_uploads::size_bytes.eq(upload.size_bytes),
            efactura_uploads::uploaded_at.eq(upload.at),
        ))
    )
}

/// What `stareMesaj` said of an upload.
pub fn record_upload_state(
    conn: &mut DbConnection,
    environment: EfacturaEnvironment,
    upload_index: &str,
    state: &str,
    download_id: Option<&str>,
) -> QueryResult<usize> {
    diesel::update(efactura_uploads::table.find((environment.path(), upload_index)))
        .set((
            efactura_uploads::state.eq(state),
            efactura_uploads::download_id.eq(download_id),
        ))
        .execute(conn)
}

/// The CIF of an upload the gateway made (none, or one).
pub fn cifs_of_upload(
    conn: &mut DbConnection,
    environment: EfacturaEnvironment,
    upload_index: &str,
) -> QueryResult<Vec<String>> {
    efactura_uploads::table
        .find((environment.path(), upload_index))
        .select(efactura_uploads::cif)
        .load(conn)
}

/// The CIFs a message was listed under (the seller's and the buyer's share its id), or the CIF
/// of the upload it is the result of.
pub fn cifs_of_message(
    conn: &mut DbConnection,
    environment: EfacturaEnvironment,
    message_id: &str,
) -> QueryResult<Vec<String>> {
    let mut cifs: Vec<String> = efactura_messages::table
        .filter(efactura_messages::environment.eq(environment.path()))
        .filter(efactura_messages::message_id.eq(message_id))
        .select(efactura_messages::cif)
        .load(conn)?;
    let uploaded: Vec<String> = efactura_uploads::table
        .filter(efactura_uploads::environment.eq(environment.path()))
        .filter(efactura_uploads::download_id.eq(message_id))
        .select(efactura_uploads::cif)
        .load(conn)?;
    for cif in uploaded {
        if !cifs.contains(&cif) {
            cifs.push(cif);
        }
    }
    Ok(cifs)
}

/// A failed answer for the company page; only the last `ERRORS_KEPT_PER_CIF` stay.
pub fn record_error(
    conn: &mut DbConnection,
    cif: &str,
    operation: &str,
    outcome: &str,
    detail: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(efactura_call_errors::table)
        .values((
            efactura_call_errors::cif.eq(cif),
            efactura_call_errors::operation.eq(operation),
            efactura_call_errors::outcome.eq(outcome),
            efactura_call_errors::detail.eq(detail),
            efactura_call_errors::at.eq(at),
        ))
        .execute(conn)?;
    let keep_from: Option<i64> = efactura_call_errors::table
        .filter(efactura_call_errors::cif.eq(cif))
        .order(efactura_call_errors::id.desc())
        .offset(ERRORS_KEPT_PER_CIF)
        .select(efactura_call_errors::id)
        .first(conn)
        .optional()?;
    if let Some(oldest_dropped) = keep_from {
        diesel::delete(
            efactura_call_errors::table
                .filter(efactura_call_errors::cif.eq(cif))
                .filter(efactura_call_errors::id.le(oldest_dropped)),
        )
        .execute(conn)?;
    }
    Ok(())
}

/// One failed answer, as the company page shows it.
#[derive(Debug, Clone, Queryable)]
pub struct CallError {
    pub operation: String,
    pub outcome: String,
    pub detail: Option<String>,
    pub at: NaiveDateTime,
}

/// The company's last failed answers, newest first.
pub fn last_errors(conn: &mut DbConnection, cif: &str, limit: i64) -> QueryResult<Vec<CallError>> {
    efactura_call_errors::table
        .filter(efactura_call_errors::cif.eq(cif))
        .order(efactura_call_errors::id.desc())
        .limit(limit)
        .select((
            efactura_call_errors::operation,
            efactura_call_errors::outcome,
            efactura_call_errors::detail,
            efactura_call_errors::at,
        ))
        .load(conn)
}
