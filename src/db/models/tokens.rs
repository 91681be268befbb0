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

use crate::db::models::KeyLookup;
use crate::db::models::companies::Company;
use crate::db::models::events::{self, NewEvent};
use crate::db::models::now;
use crate::db::schema::{
    anaf_token_secrets, anaf_tokens, companies, company_members, company_tokens, token_offers,
};
use crate::db::timestamp::Stamp;
use crate::db::{DbConnection, lock_company, write_transaction};
use crate::domain::{
    Cif, EventKind, MemberRole, ReconnectWindow, RefreshSchedule, Rights, TokenFacts, TokenState,
};

/// Everything about a token except its secrets, as it serves one company: the rights are the
/// certificate's on that company's CIF (select it joined with that company's `company_tokens`).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = anaf_tokens)]
pub struct TokenMeta {
    pub id: i64,
    /// The company it was first connected for (not necessarily one it still serves).
    pub company_id: i64,
    pub access_expires_at: NaiveDateTime,
    pub refresh_expires_at: Option<NaiveDateTime>,
    pub issued_at: Option<NaiveDateTime>,
    pub certificate_serial: Option<String>,
    pub certificate_issuer: Option<String>,
    pub certificate_holder: Option<String>,
    #[diesel(column_name = status)]
    pub state: TokenState,
    #[diesel(select_expression = company_tokens::rights)]
    #[diesel(select_expression_type = company_tokens::rights)]
    pub rights: Rights,
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
    pub has_refresh_token: bool,
    pub refresh_due_at: NaiveDateTime,
    pub refresh_interrupted_at: Option<NaiveDateTime>,
    /// Until when a refresh holds the lease (one is in flight until then).
    pub refreshing_until: Option<NaiveDateTime>,
    /// After a passing failure: when the next try is due.
    pub next_attempt_at: Option<NaiveDateTime>,
    /// Since when the current run of passing failures lasts.
    pub failing_since: Option<NaiveDateTime>,
    pub failed_attempts: i32,
    /// Failing for longer than `ANAF_PORTAL_REFRESH_FAILING_AFTER`.
    pub refresh_failing: bool,
    pub reconnect_from: Option<NaiveDateTime>,
    pub reconnect_by: Option<NaiveDateTime>,
}

/// The reconnect window stored as its two columns.
fn window(from: Option<NaiveDateTime>, by: Option<NaiveDateTime>) -> Option<ReconnectWindow> {
    Some(ReconnectWindow {
        from: from?,
        by: by?,
    })
}

impl TokenMeta {
    /// Where the token stands with the refresh engine.
    pub fn schedule(&self) -> RefreshSchedule {
        RefreshSchedule {
            refreshing_until: self.refreshing_until,
            next_attempt_at: self.next_attempt_at,
            failing_since: self.failing_since,
            failing: self.refresh_failing,
        }
    }

    /// What the token's status depends on.
    pub fn facts(&self) -> TokenFacts {
        TokenFacts {
            state: self.state,
            rights: self.rights,
            access_expires_at: self.access_expires_at,
            refresh_due_at: self.refresh_due_at,
            has_refresh_token: self.has_refresh_token,
            refresh_expires_at: self.refresh_expires_at,
            reconnect: window(self.reconnect_from, self.reconnect_by),
        }
    }
}

/// The encrypted values, for the token service only. Each ciphertext is bound to `id`;
/// `company_id` is what values sealed before that were bound to (read by the upgrade only).
#[derive(Debug, Clone)]
pub struct TokenSecrets {
    pub id: i64,
    pub company_id: i64,
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
    company_id: i64,
    fingerprint: &'a str,
    access_expires_at: NaiveDateTime,
    refresh_expires_at: Option<NaiveDateTime>,
    issued_at: Option<NaiveDateTime>,
    certificate_serial: Option<&'a str>,
    certificate_issuer: Option<&'a str>,
    certificate_holder: Option<&'a str>,
    status: TokenState,
    source: &'a str,
    created_by: Option<i64>,
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
    token_id: i64,
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
    fn secrets_row(&self, token_id: i64) -> SecretsRow<'_> {
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
    pub orphaned: Option<i64>,
}

/// A new pair to store: what its claims say, whether it has a refresh token, and how to seal its
/// values once its row has an id.
pub struct NewPair<'a> {
    pub facts: &'a PairFacts,
    pub has_refresh_token: bool,
    pub seal: &'a dyn Fn(i64) -> Result<SealedSecrets, String>,
}

/// Stores `pair` as a new token first connected for `company_id` and makes it the one that serves
/// the company, in one transaction: the row first, then its values sealed for its id. The token
/// that served the company before keeps serving its other companies; with none left it is deleted.
pub fn replace_for_company(
    conn: &mut DbConnection,
    company_id: i64,
    new: NewPair<'_>,
    source: &str,
    created_by: Option<i64>,
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
            .get_result::<i64>(conn);
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
    token_id: i64,
    company_id: i64,
    rights: Rights,
    by: Option<i64>,
    at: NaiveDateTime,
) -> QueryResult<Option<i64>> {
    let before: Option<i64> = company_tokens::table
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
fn delete_if_unused(conn: &mut DbConnection, token_id: i64) -> QueryResult<Option<i64>> {
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
    token_id: i64,
    company_id: i64,
    rights: Rights,
    by: Option<i64>,
) -> QueryResult<Option<i64>> {
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
pub fn detach(conn: &mut DbConnection, token_id: i64, company_id: i64) -> QueryResult<Detached> {
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
pub fn served_companies(conn: &mut DbConnection, token_id: i64) -> QueryResult<Vec<Company>> {
    company_tokens::table
        .inner_join(companies::table)
        .filter(company_tokens::token_id.eq(token_id))
        .order((companies::cif, companies::id))
        .select(Company::as_select())
        .load(conn)
}

/// Notes that the certificate of `token_id` has SPV rights for `company_id`, which it does not
/// serve (an offer to attach it).
pub fn offer(conn: &mut DbConnection, token_id: i64, company_id: i64) -> QueryResult<usize> {
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

/// A token offered to a company: its id, certificate holder and serial, and when the rights
/// were confirmed.
pub type Offer = (i64, Option<String>, Option<String>, NaiveDateTime);

/// The tokens offered to `company_id`: id, certificate holder, serial, when rights were seen.
pub fn offers_for_company(conn: &mut DbConnection, company_id: i64) -> QueryResult<Vec<Offer>> {
    token_offers::table
        .inner_join(anaf_tokens::table)
        .filter(token_offers::company_id.eq(company_id))
        .order(token_offers::checked_at.desc())
        .select((
            anaf_tokens::id,
            anaf_tokens::certificate_holder,
            anaf_tokens::certificate_serial,
            token_offers::checked_at,
        ))
        .load(conn)
}

/// The other companies of `user_id`'s that token `token_id` serves, besides `except`, by CIF.
pub fn also_served_for_member(
    conn: &mut DbConnection,
    token_id: i64,
    user_id: i64,
    except: i64,
) -> QueryResult<Vec<Company>> {
    company_tokens::table
        .inner_join(companies::table.inner_join(company_members::table))
        .filter(company_tokens::token_id.eq(token_id))
        .filter(company_members::user_id.eq(user_id))
        .filter(company_tokens::company_id.ne(except))
        .order((companies::cif, companies::id))
        .select(Company::as_select())
        .load(conn)
}

/// An offer to a company: (company id, token id, certificate holder, certificate serial).
pub type MemberOffer = (i64, i64, Option<String>, Option<String>);

/// Every offer to one of `user_id`'s companies.
pub fn offers_for_member(conn: &mut DbConnection, user_id: i64) -> QueryResult<Vec<MemberOffer>> {
    token_offers::table
        .inner_join(anaf_tokens::table)
        .inner_join(
            company_members::table.on(company_members::company_id.eq(token_offers::company_id)),
        )
        .filter(company_members::user_id.eq(user_id))
        .select((
            token_offers::company_id,
            token_offers::token_id,
            anaf_tokens::certificate_holder,
            anaf_tokens::certificate_serial,
        ))
        .load(conn)
}

/// Who would newly gain each of `token_ids` if it were attached to `company_id`: the company's
/// admins (the emails, in order) who cannot use the token through a company it serves today.
/// A token's users are its companies' admins; their API keys act as them, so people are the
/// whole answer. An empty list: attaching gives the token to nobody new.
pub fn newcomers(
    conn: &mut DbConnection,
    company_id: i64,
    token_ids: &[i64],
) -> QueryResult<std::collections::HashMap<i64, Vec<String>>> {
    use crate::db::schema::users;
    let admins: Vec<(i64, String)> = company_members::table
        .inner_join(users::table)
        .filter(company_members::company_id.eq(company_id))
        .filter(company_members::role.eq(MemberRole::Admin))
        .order(users::email)
        .select((users::id, users::email))
        .load(conn)?;
    let users_of: Vec<(i64, i64)> = company_tokens::table
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

/// The offers to companies `user_id` administers, each with the token serving the company now
/// (if any), by CIF, at most `limit`: what a person may attach in one go.
pub fn offers_to_administered(
    conn: &mut DbConnection,
    user_id: i64,
    limit: i64,
) -> QueryResult<Vec<(Company, i64, Option<TokenMeta>)>> {
    companies::table
        .inner_join(company_members::table)
        .inner_join(token_offers::table.on(token_offers::company_id.eq(companies::id)))
        .left_join(company_tokens::table.inner_join(anaf_tokens::table))
        .filter(company_members::user_id.eq(user_id))
        .filter(company_members::role.eq(MemberRole::Admin))
        .order((
            companies::cif,
            companies::id,
            token_offers::checked_at.desc(),
        ))
        .limit(limit)
        .select((
            Company::as_select(),
            token_offers::token_id,
            Option::<TokenMeta>::as_select(),
        ))
        .load(conn)
}

/// Forgets that `token_id` was offered to `company_id`.
pub fn withdraw_offer(
    conn: &mut DbConnection,
    token_id: i64,
    company_id: i64,
) -> QueryResult<usize> {
    diesel::delete(token_offers::table.find((token_id, company_id))).execute(conn)
}

/// Whether `token_id` is offered to `company_id`.
pub fn is_offered(conn: &mut DbConnection, token_id: i64, company_id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        token_offers::table.find((token_id, company_id)),
    ))
    .get_result(conn)
}

/// The token that serves the company, as it serves it.
pub fn find_meta_for_company(
    conn: &mut DbConnection,
    company_id: i64,
) -> QueryResult<Option<TokenMeta>> {
    company_tokens::table
        .find(company_id)
        .inner_join(anaf_tokens::table)
        .select(TokenMeta::as_select())
        .get_optional(conn)
}

/// Token `token_id` as it serves one of `user_id`'s companies, that company and the user's role
/// there: `company_id` when given, else the one where the user has the most say (company admin
/// first). `None` when it serves none of them.
pub fn find_for_member(
    conn: &mut DbConnection,
    token_id: i64,
    user_id: i64,
    company_id: Option<i64>,
) -> QueryResult<Option<(TokenMeta, Company, MemberRole)>> {
    let mut query = company_tokens::table
        .inner_join(anaf_tokens::table)
        .inner_join(companies::table.inner_join(company_members::table))
        .filter(company_tokens::token_id.eq(token_id))
        .filter(company_members::user_id.eq(user_id))
        .into_boxed();
    if let Some(company_id) = company_id {
        query = query.filter(company_tokens::company_id.eq(company_id));
    }
    // `admin` sorts before `viewer`.
    query
        .order((company_members::role.asc(), companies::id.asc()))
        .select((
            TokenMeta::as_select(),
            Company::as_select(),
            company_members::role,
        ))
        .first(conn)
        .optional()
}

/// Token `token_id` as it serves any company (the first by id): for the services' own reads.
pub fn find_meta(conn: &mut DbConnection, token_id: i64) -> QueryResult<Option<TokenMeta>> {
    company_tokens::table
        .inner_join(anaf_tokens::table)
        .filter(company_tokens::token_id.eq(token_id))
        .order(company_tokens::company_id.asc())
        .select(TokenMeta::as_select())
        .first(conn)
        .optional()
}

pub fn load_secrets(conn: &mut DbConnection, id: i64) -> QueryResult<Option<TokenSecrets>> {
    let row: Option<(i64, i64, String, String, Option<String>)> = anaf_token_secrets::table
        .inner_join(anaf_tokens::table)
        .filter(anaf_token_secrets::token_id.eq(id))
        .select((
            anaf_tokens::id,
            anaf_tokens::company_id,
            anaf_token_secrets::key_id,
            anaf_token_secrets::access_token_ciphertext,
            anaf_token_secrets::refresh_token_ciphertext,
        ))
        .get_optional(conn)?;
    Ok(
        row.map(|(id, company_id, key_id, access, refresh)| TokenSecrets {
            id,
            company_id,
            key_id,
            access_token_ciphertext: access,
            refresh_token_ciphertext: refresh,
        }),
    )
}

/// How many stored tokens each key id sealed.
pub fn count_by_key(conn: &mut DbConnection) -> QueryResult<Vec<(String, i64)>> {
    anaf_token_secrets::table
        .group_by(anaf_token_secrets::key_id)
        .select((anaf_token_secrets::key_id, diesel::dsl::count_star()))
        .order_by(anaf_token_secrets::key_id)
        .load(conn)
}

/// Gives every row that names the key `from` the name `to` (a legacy position becoming an id).
pub fn rename_key(conn: &mut DbConnection, from: &str, to: &str) -> QueryResult<usize> {
    diesel::update(anaf_token_secrets::table.filter(anaf_token_secrets::key_id.eq(from)))
        .set(anaf_token_secrets::key_id.eq(to))
        .execute(conn)
}

/// Up to `limit` tokens whose values another key than `key_id` sealed, in id order after `after`.
pub fn sealed_with_other_keys(
    conn: &mut DbConnection,
    key_id: &str,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<TokenSecrets>> {
    secrets_page(conn, Some(key_id), after, limit)
}

/// Up to `limit` tokens' values, in id order after `after`.
pub fn secrets_after(
    conn: &mut DbConnection,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<TokenSecrets>> {
    secrets_page(conn, None, after, limit)
}

/// Up to `limit` tokens' values in id order after `after`, leaving out those `except_key` sealed.
fn secrets_page(
    conn: &mut DbConnection,
    except_key: Option<&str>,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<TokenSecrets>> {
    let mut query = anaf_token_secrets::table
        .inner_join(anaf_tokens::table)
        .filter(anaf_token_secrets::token_id.gt(after))
        .into_boxed();
    if let Some(key_id) = except_key {
        query = query.filter(anaf_token_secrets::key_id.ne(key_id));
    }
    let rows: Vec<(i64, i64, String, String, Option<String>)> = query
        .order_by(anaf_token_secrets::token_id)
        .limit(limit)
        .select((
            anaf_tokens::id,
            anaf_tokens::company_id,
            anaf_token_secrets::key_id,
            anaf_token_secrets::access_token_ciphertext,
            anaf_token_secrets::refresh_token_ciphertext,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, company_id, key_id, access, refresh)| TokenSecrets {
            id,
            company_id,
            key_id,
            access_token_ciphertext: access,
            refresh_token_ciphertext: refresh,
        })
        .collect())
}

/// Replaces `old`'s ciphertexts with the same values sealed under `key_id`; 0 when a refresh (or a
/// delete) changed the row since `old` was read, which then needs nothing more.
pub fn reseal(
    conn: &mut DbConnection,
    old: &TokenSecrets,
    key_id: &str,
    access: &str,
    refresh: Option<&str>,
) -> QueryResult<usize> {
    diesel::update(
        anaf_token_secrets::table
            .filter(anaf_token_secrets::token_id.eq(old.id))
            .filter(anaf_token_secrets::key_id.eq(&old.key_id))
            .filter(anaf_token_secrets::access_token_ciphertext.eq(&old.access_token_ciphertext)),
    )
    .set((
        anaf_token_secrets::key_id.eq(key_id),
        anaf_token_secrets::access_token_ciphertext.eq(access),
        anaf_token_secrets::refresh_token_ciphertext.eq(refresh),
    ))
    .execute(conn)
}

/// What taking the refresh lease found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lease {
    /// Taken: this caller refreshes.
    Taken,
    /// Another refresh holds a live lease.
    Held,
    /// The token is gone.
    Gone,
}

/// Takes the refresh lease until `until` unless another refresh holds a live one. A lease that
/// ran out without being released means a refresh ended without its outcome being recorded (the
/// process died while ANAF held the request): that is noted as `refresh_interrupted_at`.
pub fn try_lease_refresh(
    conn: &mut DbConnection,
    id: i64,
    at: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<Lease> {
    if take_lease(conn, id, at, until)? {
        return Ok(Lease::Taken);
    }
    let exists =
        diesel::select(diesel::dsl::exists(anaf_tokens::table.find(id))).get_result(conn)?;
    Ok(if exists { Lease::Held } else { Lease::Gone })
}

/// The lease as one conditional statement, so that of two takers at the same moment exactly one
/// succeeds on either backend (PostgreSQL re-checks the condition after waiting for the other's
/// row lock). Whether this caller took it.
pub(crate) fn take_lease(
    conn: &mut DbConnection,
    id: i64,
    at: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<bool> {
    use diesel::dsl::case_when;
    let free = anaf_tokens::refreshing_until
        .is_null()
        .or(anaf_tokens::refreshing_until.lt(at));
    let taken = diesel::update(anaf_tokens::table.find(id).filter(free))
        .set((
            // A lease that ran out unreleased: that refresh's outcome is unknown.
            anaf_tokens::refresh_interrupted_at.eq(case_when(
                anaf_tokens::refreshing_until.is_not_null(),
                anaf_tokens::refresh_started_at,
            )
            .otherwise(anaf_tokens::refresh_interrupted_at)),
            anaf_tokens::refreshing_until.eq(Some(until)),
            anaf_tokens::refresh_started_at.eq(Some(at)),
        ))
        .execute(conn)?;
    Ok(taken == 1)
}

/// Gives the refresh lease back without a refresh (a recent one made it needless).
pub fn release_lease(conn: &mut DbConnection, id: i64) -> QueryResult<usize> {
    diesel::update(anaf_tokens::table.find(id))
        .set(anaf_tokens::refreshing_until.eq(None::<NaiveDateTime>))
        .execute(conn)
}

/// Whether a refresh lease is held right now.
pub fn is_leased(conn: &mut DbConnection, id: i64, at: NaiveDateTime) -> QueryResult<bool> {
    let until: Option<Option<NaiveDateTime>> = anaf_tokens::table
        .find(id)
        .select(anaf_tokens::refreshing_until)
        .get_optional(conn)?;
    Ok(until.flatten().is_some_and(|u| u > at))
}

/// Saves a pair ANAF issued at `obtained_at` and releases the lease, in one transaction; 0 when
/// the token is gone (deleting a token wins over a refresh in flight) or a newer pair is already
/// stored (a recovered pair replayed late).
pub fn save_refreshed(
    conn: &mut DbConnection,
    id: i64,
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

/// What follows a failed refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// ANAF's refusal is final: nothing is tried until someone reconnects.
    Reconnect,
    /// A passing failure (the `attempts`-th in a row, failing since `since`, for long enough to
    /// be flagged when `failing`): tried again at `at`.
    RetryAt {
        at: NaiveDateTime,
        attempts: i32,
        since: NaiveDateTime,
        failing: bool,
    },
}

/// The outcome of a refresh is unknown (ANAF did not answer in time, or the answer was lost):
/// releases the lease, records the error and that a refresh started at `started` may have
/// replaced the token at ANAF, and schedules the next try, which finds out.
pub fn record_refresh_unknown(
    conn: &mut DbConnection,
    id: i64,
    error: &str,
    started: NaiveDateTime,
    after: AfterFailure,
) -> QueryResult<usize> {
    write_transaction(conn, |conn| {
        let updated = diesel::update(anaf_tokens::table.find(id))
            .set(anaf_tokens::refresh_interrupted_at.eq(Some(started)))
            .execute(conn)?;
        if updated == 0 {
            return Ok(0);
        }
        record_refresh_failure(conn, id, error, after)
    })
}

/// Records a failed refresh, releases the lease and says what follows: a retry at a time, or
/// `reconnect_needed` when ANAF's refusal is final. Writes `token.reconnect_needed` once per
/// token, `token.refresh_failing` once per run of failures.
pub fn record_refresh_failure(
    conn: &mut DbConnection,
    id: i64,
    error: &str,
    after: AfterFailure,
) -> QueryResult<usize> {
    write_transaction(conn, |conn| {
        let updated = update_after_failure(conn, id, error, after)?;
        let token: Option<NaiveDateTime> = anaf_tokens::table
            .find(id)
            .select(anaf_tokens::access_expires_at)
            .get_optional(conn)?;
        let Some(access_expires_at) = token.filter(|_| updated == 1) else {
            return Ok(updated);
        };
        let event = match after {
            AfterFailure::Reconnect => {
                NewEvent::for_served_companies(EventKind::ReconnectNeeded, id)
                    .cause("refresh_refused")
                    .detail(error)
                    .once(format!("token.reconnect_needed:{id}"))
            }
            AfterFailure::RetryAt {
                since,
                failing: true,
                ..
            } => NewEvent::for_served_companies(EventKind::RefreshFailing, id)
                .cause("refresh_failing")
                .detail(error)
                .act_by(access_expires_at)
                .once(format!(
                    "token.refresh_failing:{id}:{}",
                    since.and_utc().timestamp()
                )),
            AfterFailure::RetryAt { .. } => return Ok(updated),
        };
        events::record_for_token(conn, event)?;
        Ok(updated)
    })
}

fn update_after_failure(
    conn: &mut DbConnection,
    id: i64,
    error: &str,
    after: AfterFailure,
) -> QueryResult<usize> {
    let at = now();
    let target = anaf_tokens::table.find(id);
    let common = (
        anaf_tokens::last_error.eq(Some(error)),
        anaf_tokens::last_error_at.eq(Some(at)),
        anaf_tokens::refreshing_until.eq(None::<NaiveDateTime>),
    );
    match after {
        AfterFailure::Reconnect => diesel::update(target)
            .set((
                common,
                anaf_tokens::status.eq(TokenState::ReconnectNeeded),
                anaf_tokens::next_attempt_at.eq(None::<NaiveDateTime>),
                anaf_tokens::refresh_failing.eq(false),
            ))
            .execute(conn),
        AfterFailure::RetryAt {
            at: next,
            attempts,
            since,
            failing,
        } => diesel::update(target)
            .set((
                common,
                anaf_tokens::next_attempt_at.eq(Some(next)),
                anaf_tokens::failed_attempts.eq(attempts),
                anaf_tokens::failing_since.eq(Some(since)),
                anaf_tokens::refresh_failing.eq(failing),
            ))
            .execute(conn),
    }
}

/// Whether a failure of token `id` should be written to the audit log now: the first of a run,
/// then at most once a day (a dead token is not re-reported on every try). Remembers the answer.
pub fn note_failure_once_a_day(
    conn: &mut DbConnection,
    id: i64,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let day_ago = at - chrono::TimeDelta::days(1);
    let noted = diesel::update(
        anaf_tokens::table.find(id).filter(
            anaf_tokens::failure_noted_at
                .is_null()
                .or(anaf_tokens::failure_noted_at.le(day_ago)),
        ),
    )
    .set(anaf_tokens::failure_noted_at.eq(Some(at)))
    .execute(conn)?;
    Ok(noted == 1)
}

/// Takes the refresh lease (until `until`) of up to `limit` tokens that are due: active, with a
/// refresh token that has not expired, due by `refresh_due_at`, past any retry time, and not
/// leased. Most overdue first. Instances claiming at the same moment get different tokens:
/// PostgreSQL skips rows another transaction has locked, SQLite runs one write transaction at a
/// time. A lease that ran out unreleased (its holder died) is taken over and the interruption
/// recorded (`take_lease`).
pub fn claim_due(
    conn: &mut DbConnection,
    at: NaiveDateTime,
    until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<i64>> {
    write_transaction(conn, |conn| {
        let due = anaf_tokens::table
            .filter(anaf_tokens::status.eq(TokenState::Active))
            .filter(anaf_tokens::has_refresh_token.eq(true))
            .filter(anaf_tokens::refresh_due_at.le(at))
            .filter(
                anaf_tokens::refresh_expires_at
                    .is_null()
                    .or(anaf_tokens::refresh_expires_at.gt(at)),
            )
            .filter(
                anaf_tokens::next_attempt_at
                    .is_null()
                    .or(anaf_tokens::next_attempt_at.le(at)),
            )
            .filter(
                anaf_tokens::refreshing_until
                    .is_null()
                    .or(anaf_tokens::refreshing_until.lt(at)),
            )
            .order(anaf_tokens::refresh_due_at)
            .limit(limit)
            .select(anaf_tokens::id);
        let rows: Vec<i64> = match conn {
            DbConnection::Postgres(pg) => due.for_update().skip_locked().load(pg)?,
            DbConnection::Sqlite(_) => due.load(conn)?,
        };
        let mut claimed = Vec::with_capacity(rows.len());
        for id in rows {
            if take_lease(conn, id, at, until)? {
                claimed.push(id);
            }
        }
        Ok(claimed)
    })
}

/// The companies with this CIF that token `token_id` serves (usually one; each person keeps
/// their own record of a CIF).
fn served_with_cif(conn: &mut DbConnection, token_id: i64, cif: &Cif) -> QueryResult<Vec<i64>> {
    company_tokens::table
        .inner_join(companies::table)
        .filter(company_tokens::token_id.eq(token_id))
        .filter(companies::cif.eq(cif))
        .select(company_tokens::company_id)
        .load(conn)
}

/// Records a rights verdict (`Granted` or `Denied`) of token `token_id` on `cif`, for each
/// company with that CIF it serves, and when the next probe is due. A company that loses its
/// rights gets `token.rights_lost`.
pub fn record_rights(
    conn: &mut DbConnection,
    token_id: i64,
    cif: &Cif,
    rights: Rights,
    detail: Option<&str>,
    next_probe_at: NaiveDateTime,
) -> QueryResult<usize> {
    write_transaction(conn, |conn| {
        let at = now();
        let served = served_with_cif(conn, token_id, cif)?;
        let attachments = || {
            company_tokens::table
                .filter(company_tokens::token_id.eq(token_id))
                .filter(company_tokens::company_id.eq_any(&served))
        };
        let before: Vec<(i64, Rights, Option<NaiveDateTime>)> = attachments()
            .select((
                company_tokens::company_id,
                company_tokens::rights,
                company_tokens::rights_checked_at,
            ))
            .load(conn)?;
        let updated = diesel::update(attachments())
            .set((
                company_tokens::rights.eq(rights),
                company_tokens::rights_detail.eq(detail),
                company_tokens::rights_checked_at.eq(Some(at)),
                company_tokens::rights_probe_due_at.eq(Some(next_probe_at)),
            ))
            .execute(conn)?;
        for (company_id, previous, checked_at) in before {
            if rights != Rights::Denied || previous == Rights::Denied {
                continue;
            }
            // Probes racing on one token read the same verdict before them: one event.
            let mut event = NewEvent::about_token(EventKind::RightsLost, company_id, token_id)
                .cause("no_spv_rights")
                .once(format!(
                    "token.rights_lost:{token_id}:{company_id}:{}",
                    checked_at.map_or(0, |c| c.and_utc().timestamp_micros())
                ));
            if let Some(detail) = detail {
                event = event.detail(detail);
            }
            events::record(conn, event)?;
        }
        Ok(updated)
    })
}

/// Records a probe of `cif` that could not tell: the verdict before it stands (its reason is
/// kept only while none is known), and the next probe is due at `next_probe_at`.
pub fn record_rights_unknown(
    conn: &mut DbConnection,
    token_id: i64,
    cif: &Cif,
    detail: &str,
    next_probe_at: NaiveDateTime,
) -> QueryResult<usize> {
    use diesel::dsl::case_when;
    let served = served_with_cif(conn, token_id, cif)?;
    diesel::update(
        company_tokens::table
            .filter(company_tokens::token_id.eq(token_id))
            .filter(company_tokens::company_id.eq_any(&served)),
    )
    .set((
        company_tokens::rights_detail.eq(case_when(
            company_tokens::rights.eq(Rights::Unknown),
            Some(detail),
        )
        .otherwise(company_tokens::rights_detail)),
        company_tokens::rights_probe_due_at.eq(Some(next_probe_at)),
    ))
    .execute(conn)
}

/// Claims up to `limit` (token, CIF) pairs whose scheduled rights probe is due: the token is
/// active, its access token works, and no refresh holds it (a refresh probes by itself). A claim
/// moves the due time to `until`, so no other instance takes it meanwhile and a probe that never
/// ends is tried again then.
pub fn claim_probes(
    conn: &mut DbConnection,
    at: NaiveDateTime,
    until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<(i64, Cif)>> {
    write_transaction(conn, |conn| {
        let due = company_tokens::table
            .inner_join(anaf_tokens::table)
            .filter(anaf_tokens::status.eq(TokenState::Active))
            .filter(
                company_tokens::rights_probe_due_at
                    .is_null()
                    .or(company_tokens::rights_probe_due_at.le(at)),
            )
            .filter(anaf_tokens::access_expires_at.gt(until))
            .filter(
                anaf_tokens::refreshing_until
                    .is_null()
                    .or(anaf_tokens::refreshing_until.lt(at)),
            )
            .order(company_tokens::company_id)
            .limit(limit)
            .select(company_tokens::company_id);
        let company_ids: Vec<i64> = match conn {
            DbConnection::Postgres(pg) => due.for_update().skip_locked().load(pg)?,
            DbConnection::Sqlite(_) => due.load(conn)?,
        };
        let claimed = company_tokens::table
            .filter(company_tokens::company_id.eq_any(&company_ids))
            .inner_join(companies::table);
        diesel::update(
            company_tokens::table.filter(company_tokens::company_id.eq_any(&company_ids)),
        )
        .set(company_tokens::rights_probe_due_at.eq(Some(until)))
        .execute(conn)?;
        let mut pairs: Vec<(i64, Cif)> = claimed
            .select((company_tokens::token_id, companies::cif))
            .load(conn)?;
        pairs.sort();
        pairs.dedup();
        Ok(pairs)
    })
}

/// Whether a token with this fingerprint (SHA-256 of the access token) is stored already.
pub fn fingerprint_exists(conn: &mut DbConnection, fingerprint: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        anaf_tokens::table.filter(anaf_tokens::fingerprint.eq(fingerprint)),
    ))
    .get_result(conn)
}

/// What the API's token list shows of a token: its status facts and when it was saved. Only the
/// timestamps it prints are read (decoding SQLite's text timestamps is most of what reading a row
/// costs: the list is the API's busiest call).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = anaf_tokens)]
pub struct ListedToken {
    pub id: i64,
    pub company_id: i64,
    #[diesel(column_name = status)]
    pub state: TokenState,
    /// The certificate's rights on the CIF of the company the row was read for.
    #[diesel(select_expression = company_tokens::rights)]
    #[diesel(select_expression_type = company_tokens::rights)]
    pub rights: Rights,
    pub access_expires_at: Stamp,
    pub refresh_due_at: Stamp,
    pub has_refresh_token: bool,
    pub refresh_expires_at: Option<Stamp>,
    pub created_at: Stamp,
    pub last_error: Option<String>,
    pub refreshing_until: Option<Stamp>,
    pub next_attempt_at: Option<Stamp>,
    pub failing_since: Option<Stamp>,
    pub refresh_failing: bool,
    pub reconnect_from: Option<Stamp>,
    pub reconnect_by: Option<Stamp>,
}

impl ListedToken {
    pub fn schedule(&self) -> RefreshSchedule {
        RefreshSchedule {
            refreshing_until: self.refreshing_until.map(|at| at.0),
            next_attempt_at: self.next_attempt_at.map(|at| at.0),
            failing_since: self.failing_since.map(|at| at.0),
            failing: self.refresh_failing,
        }
    }

    pub fn facts(&self) -> TokenFacts {
        TokenFacts {
            state: self.state,
            rights: self.rights,
            access_expires_at: self.access_expires_at.0,
            refresh_due_at: self.refresh_due_at.0,
            has_refresh_token: self.has_refresh_token,
            refresh_expires_at: self.refresh_expires_at.map(|at| at.0),
            reconnect: window(
                self.reconnect_from.map(|at| at.0),
                self.reconnect_by.map(|at| at.0),
            ),
        }
    }
}

/// A token as it serves one of a person's companies: the company's id, CIF and name.
pub type ServedRow = (ListedToken, i64, Cif, Option<String>);

/// The tokens serving the companies `user_id` is a member of, one row per company served, with
/// the company's id, CIF and name; by token, oldest first. One query, whatever the number of
/// tokens.
pub fn list_for_member(
    conn: &mut DbConnection,
    user_id: i64,
    token_id: Option<i64>,
) -> QueryResult<Vec<ServedRow>> {
    // Not boxed: a boxed query is prepared again on every call, and this is the API's busiest.
    let served = company_tokens::table
        .inner_join(anaf_tokens::table)
        .inner_join(companies::table.inner_join(company_members::table))
        .filter(company_members::user_id.eq(user_id));
    let order = (anaf_tokens::id.asc(), companies::cif.asc());
    let columns = (
        ListedToken::as_select(),
        companies::id,
        companies::cif,
        companies::name,
    );
    match token_id {
        None => served.order(order).select(columns).load(conn),
        Some(token_id) => served
            .filter(company_tokens::token_id.eq(token_id))
            .order(order)
            .select(columns)
            .load(conn),
    }
}

/// The CIF and name of the company each of `token_ids` was first connected for (the API's `cif`).
pub fn home_companies(
    conn: &mut DbConnection,
    token_ids: &[i64],
) -> QueryResult<Vec<(i64, Cif, Option<String>)>> {
    anaf_tokens::table
        .inner_join(companies::table)
        .filter(anaf_tokens::id.eq_any(token_ids))
        .select((anaf_tokens::id, companies::cif, companies::name))
        .load(conn)
}

/// Whether the token exists.
pub fn exists(conn: &mut DbConnection, token_id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(anaf_tokens::table.find(token_id))).get_result(conn)
}

/// The companies token `token_id` serves whose company admin `user_id` is.
pub fn served_companies_administered_by(
    conn: &mut DbConnection,
    token_id: i64,
    user_id: i64,
) -> QueryResult<Vec<i64>> {
    company_tokens::table
        .inner_join(
            company_members::table.on(company_members::company_id.eq(company_tokens::company_id)),
        )
        .filter(company_tokens::token_id.eq(token_id))
        .filter(company_members::user_id.eq(user_id))
        .filter(company_members::role.eq(MemberRole::Admin))
        .order(company_tokens::company_id)
        .select(company_tokens::company_id)
        .load(conn)
}

/// A token of one of a person's companies: the company's CIF and name, and the person's role.
pub type MemberToken = (ListedToken, Cif, Option<String>, MemberRole);

/// The companies of `user_id`'s whose token may need a person at `at` (refused, no rights,
/// failing, expired, or inside a reconnect window), with the company's CIF, name and the user's
/// role there: what `domain::Attention` then sorts. One query; on a healthy portal few rows.
pub fn attention_candidates_for_member(
    conn: &mut DbConnection,
    user_id: i64,
    at: NaiveDateTime,
) -> QueryResult<Vec<MemberToken>> {
    company_tokens::table
        .inner_join(anaf_tokens::table)
        .inner_join(companies::table.inner_join(company_members::table))
        .filter(company_members::user_id.eq(user_id))
        .filter(
            anaf_tokens::status
                .ne(TokenState::Active)
                .or(company_tokens::rights.eq(Rights::Denied))
                .or(anaf_tokens::refresh_failing.eq(true))
                .or(anaf_tokens::access_expires_at.le(at))
                .or(anaf_tokens::reconnect_from.le(at)),
        )
        .select((
            ListedToken::as_select(),
            companies::cif,
            companies::name,
            company_members::role,
        ))
        .load(conn)
}

/// Every token's status facts and refresh schedule, once each, with the rights of the first
/// company it serves (the lifecycle page and the metrics). One query of narrow rows.
pub fn list_all(conn: &mut DbConnection) -> QueryResult<Vec<ListedToken>> {
    let mut rows: Vec<ListedToken> = company_tokens::table
        .inner_join(anaf_tokens::table)
        .order((company_tokens::token_id, company_tokens::company_id))
        .select(ListedToken::as_select())
        .load(conn)?;
    rows.dedup_by_key(|token| token.id);
    Ok(rows)
}
