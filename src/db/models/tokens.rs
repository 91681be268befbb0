//! ANAF token rows. `anaf_tokens` holds what pages and lists show (`TokenMeta`); the encrypted
//! pair lives in `anaf_token_secrets`, which only the token service reads (`TokenSecrets`).
//!
//! A token belongs to the certificate it came from and serves the companies attached to it
//! (`company_tokens`, one token per company at most), each with the certificate's SPV rights on
//! that company's CIF. Its `company_id` is the company it was first connected for; its
//! ciphertexts are bound to its own id (`tokens::vault`), so a new token's row is inserted first
//! and its secrets sealed and written in the same transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

// Moved by concern; named here too so that callers keep their paths.
pub use crate::db::models::token_refresh::*;
pub use crate::db::models::token_rights::*;
pub use crate::db::models::token_secrets::*;

use crate::db::models::KeyLookup;
use crate::db::models::companies::Company;
use crate::db::models::events::{self, NewEvent};
use crate::db::models::now;
use crate::db::schema::{
    anaf_token_secrets, anaf_tokens, companies, company_members, company_tokens, token_offers,
};
use crate::db::{DbConnection, lock_company, write_transaction};
use crate::domain::{
    CompanyId, EventKind, MemberRole, ReconnectWindow, RefreshSchedule, Rights, TokenFacts,
    TokenId, TokenState, UserId,
};

/// Everything about a token except its secrets, as it serves one company: the one read model of
/// a token, for pages, the API and the services. Its rights (in `facts`) are the certificate's on
/// that company's CIF: select it joined with that company's `company_tokens`.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = anaf_tokens)]
pub struct TokenMeta {
    pub id: TokenId,
    /// The company it was first connected for (not necessarily one it still serves).
    pub company_id: CompanyId,
    /// What its status depends on.
    #[diesel(embed)]
    pub facts: TokenFacts,
    /// Where it stands with the refresh engine.
    #[diesel(embed)]
    pub schedule: RefreshSchedule,
    pub issued_at: Option<NaiveDateTime>,
    pub certificate_serial: Option<String>,
    pub certificate_issuer: Option<String>,
    pub certificate_holder: Option<String>,
    #[diesel(select_expression = company_tokens::rights_detail)]
    #[diesel(select_expression_type = company_tokens::rights_detail)]
    pub rights_detail: Option<String>,
    #[diesel(select_expression = company_tokens::rights_checked_at)]
    #[diesel(select_expression_type = company_tokens::rights_checked_at)]
    pub rights_checked_at: Option<NaiveDateTime>,
    pub last_refreshed_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub last_error_at: Option<NaiveDateTime>,
    pub source: String,
    pub created_at: NaiveDateTime,
    pub refresh_interrupted_at: Option<NaiveDateTime>,
    pub failed_attempts: i32,
}

/// The reconnect window stored as its two columns.
pub(crate) fn window(
    from: Option<NaiveDateTime>,
    by: Option<NaiveDateTime>,
) -> Option<ReconnectWindow> {
    Some(ReconnectWindow {
        from: from?,
        by: by?,
    })
}

/// The encrypted values, for the token service only. Each ciphertext is bound to `id`;
/// `company_id` is what values sealed before that were bound to (read by the upgrade only).
#[derive(Debug, Clone)]
pub struct TokenSecrets {
    pub id: TokenId,
    pub company_id: CompanyId,
    /// The vault key that sealed both values (`tokens::vault::KeyId`).
    pub key_id: String,
    pub access_token_ciphertext: String,
    pub refresh_token_ciphertext: Option<String>,
}

/// What a freshly obtained pair's claims say: everything stored about it but its secrets.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PairFacts {
    pub fingerprint: String,
    pub access_expires_at: NaiveDateTime,
    pub refresh_expires_at: Option<NaiveDateTime>,
    pub issued_at: Option<NaiveDateTime>,
    pub refresh_due_at: NaiveDateTime,
    /// When only a reconnect keeps the pair alive: from when to say so, and the date.
    #[serde(default)]
    pub reconnect_from: Option<NaiveDateTime>,
    #[serde(default)]
    pub reconnect_by: Option<NaiveDateTime>,
    pub certificate_serial: Option<String>,
    pub certificate_issuer: Option<String>,
    #[serde(default)]
    pub certificate_holder: Option<String>,
}

/// A pair's two values as the vault sealed them for one token row.
#[derive(Debug, Clone)]
pub struct SealedSecrets {
    /// The vault key that sealed both values (`tokens::vault::KeyId`).
    pub key_id: String,
    pub access_token_ciphertext: String,
    pub refresh_token_ciphertext: Option<String>,
}

/// A freshly obtained pair of an existing token, sealed for it, with what its claims say. (Serde:
/// a pair that could not be saved waits in the recovery spool; it holds only ciphertexts.)
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SealedPair {
    #[serde(deserialize_with = "key_id_or_position", alias = "key_version")]
    pub key_id: String,
    pub access_token_ciphertext: String,
    pub refresh_token_ciphertext: Option<String>,
    #[serde(flatten)]
    pub facts: PairFacts,
}

impl SealedPair {
    pub fn new(secrets: SealedSecrets, facts: PairFacts) -> SealedPair {
        SealedPair {
            key_id: secrets.key_id,
            access_token_ciphertext: secrets.access_token_ciphertext,
            refresh_token_ciphertext: secrets.refresh_token_ciphertext,
            facts,
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = anaf_tokens)]
struct NewToken<'a> {
    company_id: CompanyId,
    fingerprint: &'a str,
    access_expires_at: NaiveDateTime,
    refresh_expires_at: Option<NaiveDateTime>,
    issued_at: Option<NaiveDateTime>,
    certificate_serial: Option<&'a str>,
    certificate_issuer: Option<&'a str>,
    certificate_holder: Option<&'a str>,
    status: TokenState,
    source: &'a str,
    created_by: Option<UserId>,
    created_at: NaiveDateTime,
    has_refresh_token: bool,
    refresh_due_at: NaiveDateTime,
    reconnect_from: Option<NaiveDateTime>,
    reconnect_by: Option<NaiveDateTime>,
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = anaf_token_secrets)]
#[diesel(treat_none_as_null = true)]
struct SecretsRow<'a> {
    token_id: TokenId,
    key_id: &'a str,
    access_token_ciphertext: &'a str,
    refresh_token_ciphertext: Option<&'a str>,
}

/// A spool entry written before key ids carries `key_version: N`; it reads as `position:N`.
fn key_id_or_position<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Stored {
        Id(String),
        Position(u32),
    }
    Ok(match serde::Deserialize::deserialize(d)? {
        Stored::Id(id) => id,
        Stored::Position(n) => format!("position:{n}"),
    })
}

impl SealedPair {
    fn secrets_row(&self, token_id: TokenId) -> SecretsRow<'_> {
        SecretsRow {
            token_id,
            key_id: &self.key_id,
            access_token_ciphertext: &self.access_token_ciphertext,
            refresh_token_ciphertext: self.refresh_token_ciphertext.as_deref(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreTokenError {
    #[error("this token is already stored")]
    Duplicate,
    #[error("the token's values could not be sealed: {0}")]
    Seal(String),
    #[error(transparent)]
    Database(#[from] DieselError),
}

/// A pair stored for a company, and the token it replaced there when no company uses that one any
/// more (deleted: the caller asks ANAF to revoke it).
#[derive(Debug, Clone)]
pub struct Stored {
    pub meta: TokenMeta,
    pub orphaned: Option<TokenId>,
}

/// A new pair to store: what its claims say, whether it has a refresh token, and how to seal its
/// values once its row has an id.
pub struct NewPair<'a> {
    pub facts: &'a PairFacts,
    pub has_refresh_token: bool,
    pub seal: &'a dyn Fn(TokenId) -> Result<SealedSecrets, String>,
}

/// Stores `pair` as a new token first connected for `company_id` and makes it the one that serves
/// the company, in one transaction: the row first, then its values sealed for its id. The token
/// that served the company before keeps serving its other companies; with none left it is deleted.
pub fn replace_for_company(
    conn: &mut DbConnection,
    company_id: CompanyId,
    new: NewPair<'_>,
    source: &str,
    created_by: Option<UserId>,
) -> Result<Stored, StoreTokenError> {
    let pair = new.facts;
    write_transaction(conn, |conn| {
        // Saves for one company at once take turns: each replaces the one before it.
        lock_company(conn, company_id)?;
        let at = now();
        if fingerprint_exists(conn, &pair.fingerprint)? {
            return Err(StoreTokenError::Duplicate);
        }
        let inserted = diesel::insert_into(anaf_tokens::table)
            .values(NewToken {
                company_id,
                fingerprint: &pair.fingerprint,
                access_expires_at: pair.access_expires_at,
                refresh_expires_at: pair.refresh_expires_at,
                issued_at: pair.issued_at,
                certificate_serial: pair.certificate_serial.as_deref(),
                certificate_issuer: pair.certificate_issuer.as_deref(),
                certificate_holder: pair.certificate_holder.as_deref(),
                status: TokenState::Active,
                source,
                created_by,
                created_at: at,
                has_refresh_token: new.has_refresh_token,
                refresh_due_at: pair.refresh_due_at,
                reconnect_from: pair.reconnect_from,
                reconnect_by: pair.reconnect_by,
            })
            .returning(anaf_tokens::id)
            .get_result::<TokenId>(conn);
        let id = match inserted {
            Ok(id) => id,
            // Two identical saves at once: the loser of the race sees the unique index.
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                return Err(StoreTokenError::Duplicate);
            }
            Err(e) => return Err(e.into()),
        };
        let secrets = (new.seal)(id).map_err(StoreTokenError::Seal)?;
        diesel::insert_into(anaf_token_secrets::table)
            .values(SecretsRow {
                token_id: id,
                key_id: &secrets.key_id,
                access_token_ciphertext: &secrets.access_token_ciphertext,
                refresh_token_ciphertext: secrets.refresh_token_ciphertext.as_deref(),
            })
            .execute(conn)?;
        let orphaned =
            attach_in_transaction(conn, id, company_id, Rights::Unknown, created_by, at)?;
        events::record(
            conn,
            NewEvent::about_token(EventKind::Connected, company_id, id).cause(source),
        )?;
        let meta = find_meta_for_company(conn, company_id)?.ok_or(DieselError::NotFound)?;
        Ok(Stored { meta, orphaned })
    })
}

/// Makes token `token_id` the one that serves `company_id`, with the rights a probe found, and
/// drops any offer of it there. The token that served the company before is deleted when no other
/// company uses it: its id is returned (the caller revokes it at ANAF).
fn attach_in_transaction(
    conn: &mut DbConnection,
    token_id: TokenId,
    company_id: CompanyId,
    rights: Rights,
    by: Option<UserId>,
    at: NaiveDateTime,
) -> QueryResult<Option<TokenId>> {
    let before: Option<TokenId> = company_tokens::table
        .find(company_id)
        .select(company_tokens::token_id)
        .get_optional(conn)?;
    diesel::delete(company_tokens::table.find(company_id)).execute(conn)?;
    diesel::insert_into(company_tokens::table)
        .values((
            company_tokens::company_id.eq(company_id),
            company_tokens::token_id.eq(token_id),
            company_tokens::rights.eq(rights),
            company_tokens::rights_checked_at.eq((rights != Rights::Unknown).then_some(at)),
            company_tokens::attached_at.eq(at),
            company_tokens::attached_by.eq(by),
        ))
        .execute(conn)?;
    diesel::delete(token_offers::table.filter(token_offers::company_id.eq(company_id)))
        .execute(conn)?;
    match before {
        Some(old) if old != token_id => delete_if_unused(conn, old),
        _ => Ok(None),
    }
}

/// Deletes the token when no company uses it any more; its id when it did.
fn delete_if_unused(conn: &mut DbConnection, token_id: TokenId) -> QueryResult<Option<TokenId>> {
    let used: bool = diesel::select(diesel::dsl::exists(
        company_tokens::table.filter(company_tokens::token_id.eq(token_id)),
    ))
    .get_result(conn)?;
    if used {
        return Ok(None);
    }
    let deleted = diesel::delete(anaf_tokens::table.find(token_id)).execute(conn)?;
    Ok((deleted == 1).then_some(token_id))
}

/// Attaches token `token_id` to `company_id` (a person said so, or a probe confirmed the rights
/// and the company had no working token). See `attach_in_transaction`.
pub fn attach(
    conn: &mut DbConnection,
    token_id: TokenId,
    company_id: CompanyId,
    rights: Rights,
    by: Option<UserId>,
) -> QueryResult<Option<TokenId>> {
    write_transaction(conn, |conn| {
        lock_company(conn, company_id)?;
        let orphaned = attach_in_transaction(conn, token_id, company_id, rights, by, now())?;
        events::record(
            conn,
            NewEvent::about_token(EventKind::Connected, company_id, token_id).cause("attached"),
        )?;
        Ok(orphaned)
    })
}

/// What detaching a token from a company did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detached {
    /// It still serves other companies.
    StillServesOthers,
    /// That was its last company: the token is deleted (the caller revokes it at ANAF).
    Deleted,
    /// It did not serve that company.
    NotServed,
}

/// Stops token `token_id` serving `company_id`; the token goes with its last company. Writes
/// `token.deleted` for the company.
pub fn detach(
    conn: &mut DbConnection,
    token_id: TokenId,
    company_id: CompanyId,
) -> QueryResult<Detached> {
    write_transaction(conn, |conn| {
        let removed = diesel::delete(
            company_tokens::table
                .find(company_id)
                .filter(company_tokens::token_id.eq(token_id)),
        )
        .execute(conn)?;
        if removed == 0 {
            return Ok(Detached::NotServed);
        }
        events::record(
            conn,
            NewEvent::about_token(EventKind::Deleted, company_id, token_id),
        )?;
        Ok(match delete_if_unused(conn, token_id)? {
            Some(_) => Detached::Deleted,
            None => Detached::StillServesOthers,
        })
    })
}

/// The companies token `token_id` serves, by CIF.
pub fn served_companies(conn: &mut DbConnection, token_id: TokenId) -> QueryResult<Vec<Company>> {
    company_tokens::table
        .inner_join(companies::table)
        .filter(company_tokens::token_id.eq(token_id))
        .order((companies::cif, companies::id))
        .select(Company::as_select())
        .load(conn)
}

/// Notes that the certificate of `token_id` has SPV rights for `company_id`, which it does not
/// serve (an offer to attach it).
pub fn offer(
    conn: &mut DbConnection,
    token_id: TokenId,
    company_id: CompanyId,
) -> QueryResult<usize> {
    let at = now();
    let row = diesel::insert_into(token_offers::table).values((
        token_offers::token_id.eq(token_id),
        token_offers::company_id.eq(company_id),
        token_offers::checked_at.eq(at),
    ));
    match conn {
        DbConnection::Postgres(pg) => row
            .on_conflict((token_offers::token_id, token_offers::company_id))
            .do_update()
            .set(token_offers::checked_at.eq(at))
            .execute(pg),
        DbConnection::Sqlite(sqlite) => row
            .on_conflict((token_offers::token_id, token_offers::company_id))
            .do_update()
            .set(token_offers::checked_at.eq(at))
            .execute(sqlite),
    }
}

/// Who would newly gain each of `token_ids` if it were attached to `company_id`: the company's
/// admins (the emails, in order) who cannot use the token through a company it serves today.
/// A token's users are its companies' admins; their API keys act as them, so people are the
/// whole answer. An empty list: attaching gives the token to nobody new.
pub fn newcomers(
    conn: &mut DbConnection,
    company_id: CompanyId,
    token_ids: &[TokenId],
) -> QueryResult<std::collections::HashMap<TokenId, Vec<String>>> {
    use crate::db::schema::users;
    let admins: Vec<(UserId, String)> = company_members::table
        .inner_join(users::table)
        .filter(company_members::company_id.eq(company_id))
        .filter(company_members::role.eq(MemberRole::Admin))
        .order(users::email)
        .select((users::id, users::email))
        .load(conn)?;
    let users_of: Vec<(TokenId, UserId)> = company_tokens::table
        .inner_join(
            company_members::table.on(company_members::company_id.eq(company_tokens::company_id)),
        )
        .filter(company_tokens::token_id.eq_any(token_ids))
        .filter(company_members::role.eq(MemberRole::Admin))
        .select((company_tokens::token_id, company_members::user_id))
        .distinct()
        .load(conn)?;
    Ok(token_ids
        .iter()
        .map(|token_id| {
            let newcomers = admins
                .iter()
                .filter(|(user_id, _)| !users_of.contains(&(*token_id, *user_id)))
                .map(|(_, email)| email.clone())
                .collect();
            (*token_id, newcomers)
        })
        .collect())
}

/// Forgets that `token_id` was offered to `company_id`.
pub fn withdraw_offer(
    conn: &mut DbConnection,
    token_id: TokenId,
    company_id: CompanyId,
) -> QueryResult<usize> {
    diesel::delete(token_offers::table.find((token_id, company_id))).execute(conn)
}

/// The token that serves the company, as it serves it.
pub fn find_meta_for_company(
    conn: &mut DbConnection,
    company_id: CompanyId,
) -> QueryResult<Option<TokenMeta>> {
    company_tokens::table
        .find(company_id)
        .inner_join(anaf_tokens::table)
        .select(TokenMeta::as_select())
        .get_optional(conn)
}

/// Token `token_id` as it serves any company (the first by id): for the services' own reads.
pub fn find_meta(conn: &mut DbConnection, token_id: TokenId) -> QueryResult<Option<TokenMeta>> {
    company_tokens::table
        .inner_join(anaf_tokens::table)
        .filter(company_tokens::token_id.eq(token_id))
        .order(company_tokens::company_id.asc())
        .select(TokenMeta::as_select())
        .first(conn)
        .optional()
}

/// Saves a pair ANAF issued at `obtained_at` and releases the lease, in one transaction; 0 when
/// the token is gone (deleting a token wins over a refresh in flight) or a newer pair is already
/// stored (a recovered pair replayed late).
pub fn save_refreshed(
    conn: &mut DbConnection,
    id: TokenId,
    pair: &SealedPair,
    obtained_at: NaiveDateTime,
) -> QueryResult<usize> {
    write_transaction(conn, |conn| {
        let updated = diesel::update(
            anaf_tokens::table.find(id).filter(
                anaf_tokens::last_refreshed_at
                    .is_null()
                    .or(anaf_tokens::last_refreshed_at.lt(obtained_at)),
            ),
        )
        .set((
            anaf_tokens::fingerprint.eq(&pair.facts.fingerprint),
            anaf_tokens::access_expires_at.eq(pair.facts.access_expires_at),
            anaf_tokens::refresh_expires_at.eq(pair.facts.refresh_expires_at),
            anaf_tokens::issued_at.eq(pair.facts.issued_at),
            // The same certificate: a holder's name is filled in (tokens saved before names were
            // read), never erased by an opaque pair.
            pair.facts
                .certificate_holder
                .as_deref()
                .map(|holder| anaf_tokens::certificate_holder.eq(holder)),
            anaf_tokens::has_refresh_token.eq(pair.refresh_token_ciphertext.is_some()),
            anaf_tokens::refresh_due_at.eq(pair.facts.refresh_due_at),
            anaf_tokens::reconnect_from.eq(pair.facts.reconnect_from),
            anaf_tokens::reconnect_by.eq(pair.facts.reconnect_by),
            anaf_tokens::status.eq(TokenState::Active),
            anaf_tokens::last_refreshed_at.eq(Some(obtained_at)),
            anaf_tokens::last_error.eq(None::<String>),
            anaf_tokens::last_error_at.eq(None::<NaiveDateTime>),
            anaf_tokens::refreshing_until.eq(None::<NaiveDateTime>),
            anaf_tokens::refresh_interrupted_at.eq(None::<NaiveDateTime>),
            anaf_tokens::next_attempt_at.eq(None::<NaiveDateTime>),
            anaf_tokens::failing_since.eq(None::<NaiveDateTime>),
            anaf_tokens::failed_attempts.eq(0),
            anaf_tokens::refresh_failing.eq(false),
            anaf_tokens::failure_noted_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
        if updated == 1 {
            diesel::update(anaf_token_secrets::table.find(id))
                .set(pair.secrets_row(id))
                .execute(conn)?;
            events::record_for_token(
                conn,
                NewEvent::for_served_companies(EventKind::Refreshed, id)
                    .act_by(pair.facts.access_expires_at),
            )?;
        }
        Ok(updated)
    })
}

/// Whether a token with this fingerprint (SHA-256 of the access token) is stored already.
pub fn fingerprint_exists(conn: &mut DbConnection, fingerprint: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        anaf_tokens::table.filter(anaf_tokens::fingerprint.eq(fingerprint)),
    ))
    .get_result(conn)
}
