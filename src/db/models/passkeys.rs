//! A person's passkeys (WebAuthn credentials). The credential itself is webauthn-rs's `Passkey`
//! serialised as JSON (public key, algorithm, signature counter: nothing secret); the services
//! parse it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::models::now;
use crate::db::schema::passkeys;
use crate::domain::{PasskeyId, UserId};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = passkeys)]
pub struct PasskeyRow {
    pub id: PasskeyId,
    pub user_id: UserId,
    /// The random WebAuthn user id the person's authenticators hold.
    pub user_handle: String,
    pub name: String,
    /// webauthn-rs's `Passkey` as JSON.
    pub passkey: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
}

pub struct NewPasskey<'a> {
    pub user_id: UserId,
    pub user_handle: &'a str,
    /// The credential id, base64url: unique among every account's passkeys.
    pub credential_id: &'a str,
    pub name: &'a str,
    pub passkey: &'a str,
}

/// The person's passkeys, oldest first.
pub fn of_user(conn: &mut DbConnection, user_id: UserId) -> QueryResult<Vec<PasskeyRow>> {
    passkeys::table
        .filter(passkeys::user_id.eq(user_id))
        .order(passkeys::id)
        .select(PasskeyRow::as_select())
        .load(conn)
}

pub fn count_of(conn: &mut DbConnection, user_id: UserId) -> QueryResult<i64> {
    passkeys::table
        .filter(passkeys::user_id.eq(user_id))
        .count()
        .get_result(conn)
}

/// The passkey with this credential id, whoever has it.
pub fn by_credential(
    conn: &mut DbConnection,
    credential_id: &str,
) -> QueryResult<Option<PasskeyRow>> {
    passkeys::table
        .filter(passkeys::credential_id.eq(credential_id))
        .select(PasskeyRow::as_select())
        .first(conn)
        .optional()
}

/// Stores a new passkey; false (nothing written) when its credential id is registered already.
pub fn insert(conn: &mut DbConnection, new: NewPasskey<'_>) -> QueryResult<bool> {
    let inserted = crate::insert_ignore!(
        conn,
        diesel::insert_into(passkeys::table).values((
            passkeys::user_id.eq(new.user_id),
            passkeys::user_handle.eq(new.user_handle),
            passkeys::credential_id.eq(new.credential_id),
            passkeys::name.eq(new.name),
            passkeys::passkey.eq(new.passkey),
            passkeys::created_at.eq(now()),
        ))
    )?;
    Ok(inserted == 1)
}

/// After a sign-in with it: the updated credential (its counter) and when it was used.
pub fn record_use(
    conn: &mut DbConnection,
    id: PasskeyId,
    passkey: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(passkeys::table.find(id))
        .set((
            passkeys::passkey.eq(passkey),
            passkeys::last_used_at.eq(Some(at)),
        ))
        .execute(conn)
}

/// Removes the person's passkey `id`; its name, or `None` when they have no such passkey.
pub fn delete(
    conn: &mut DbConnection,
    user_id: UserId,
    id: PasskeyId,
) -> QueryResult<Option<String>> {
    crate::db::write_transaction(conn, |conn| {
        let name: Option<String> = passkeys::table
            .find(id)
            .filter(passkeys::user_id.eq(user_id))
            .select(passkeys::name)
            .first(conn)
            .optional()?;
        if name.is_some() {
            diesel::delete(passkeys::table.find(id)).execute(conn)?;
        }
        Ok(name)
    })
}
