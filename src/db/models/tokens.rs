//! ANAF token rows. Pages and lists read `TokenMeta`, which cannot select a ciphertext column;
//! only the token service reads `TokenSecrets`.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::db::models::KeyLookup;
use crate::db::models::now;
use crate::db::schema::anaf_tokens;
use crate::db::{DbConnection, write_transaction};

/// Whether the token pair can still be used or only a new Connect ANAF helps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    Active,
    ReconnectNeeded,
}

/// The last word of the `listaMesajeFactura` probe for the company's CIF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rights {
    Unknown,
    Granted,
    Denied,
}

impl Rights {
    pub fn as_str(self) -> &'static str {
        match self {
            Rights::Unknown => "unknown",
            Rights::Granted => "granted",
            Rights::Denied => "denied",
        }
    }
}

/// Everything about a token except its secrets.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = anaf_tokens)]
pub struct TokenMeta {
    pub id: i64,
    pub company_id: i64,
    pub access_expires_at: NaiveDateTime,
    pub refresh_expires_at: Option<NaiveDateTime>,
    pub issued_at: Option<NaiveDateTime>,
    pub certificate_serial: Option<String>,
    pub certificate_issuer: Option<String>,
    status: String,
    rights: String,
    pub rights_detail: Option<String>,
    pub rights_checked_at: Option<NaiveDateTime>,
    pub last_refreshed_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub last_error_at: Option<NaiveDateTime>,
    pub source: String,
    pub created_at: NaiveDateTime,
    #[diesel(select_expression = anaf_tokens::refresh_token_ciphertext.is_not_null())]
    #[diesel(select_expression_type = diesel::dsl::IsNotNull<anaf_tokens::refresh_token_ciphertext>)]
    pub has_refresh_token: bool,
}

impl TokenMeta {
    pub fn state(&self) -> TokenState {
        if self.status == "reconnect_needed" {
            TokenState::ReconnectNeeded
        } else {
            TokenState::Active
        }
    }

    pub fn rights(&self) -> Rights {
        match self.rights.as_str() {
            "granted" => Rights::Granted,
            "denied" => Rights::Denied,
            _ => Rights::Unknown,
        }
    }
}

/// The encrypted values, for the token service only.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = anaf_tokens)]
pub struct TokenSecrets {
    pub id: i64,
    pub company_id: i64,
    pub key_version: i32,
    pub access_token_ciphertext: String,
    pub refresh_token_ciphertext: Option<String>,
}

/// A freshly obtained pair, sealed, with what its claims say.
pub struct SealedPair {
    pub key_version: i32,
    pub access_token_ciphertext: String,
    pub refresh_token_ciphertext: Option<String>,
    pub fingerprint: String,
    pub access_expires_at: NaiveDateTime,
    pub refresh_expires_at: Option<NaiveDateTime>,
    pub issued_at: Option<NaiveDateTime>,
    pub certificate_serial: Option<String>,
    pub certificate_issuer: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = anaf_tokens)]
struct NewToken<'a> {
    company_id: i64,
    key_version: i32,
    access_token_ciphertext: &'a str,
    refresh_token_ciphertext: Option<&'a str>,
    fingerprint: &'a str,
    access_expires_at: NaiveDateTime,
    refresh_expires_at: Option<NaiveDateTime>,
    issued_at: Option<NaiveDateTime>,
    certificate_serial: Option<&'a str>,
    certificate_issuer: Option<&'a str>,
    status: &'a str,
    rights: &'a str,
    source: &'a str,
    created_by: Option<i64>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreTokenError {
    #[error("this token is already stored")]
    Duplicate,
    #[error(transparent)]
    Database(#[from] DieselError),
}

/// Makes `pair` the company's token, replacing any earlier one, in one transaction.
pub fn replace_for_company(
    conn: &mut DbConnection,
    company_id: i64,
    pair: &SealedPair,
    source: &str,
    created_by: Option<i64>,
) -> Result<TokenMeta, StoreTokenError> {
    write_transaction(conn, |conn| {
        let at = now();
        let duplicate: Option<i64> = anaf_tokens::table
            .filter(anaf_tokens::fingerprint.eq(&pair.fingerprint))
            .select(anaf_tokens::id)
            .first(conn)
            .optional()?;
        if duplicate.is_some() {
            return Err(StoreTokenError::Duplicate);
        }
        diesel::delete(anaf_tokens::table.filter(anaf_tokens::company_id.eq(company_id)))
            .execute(conn)?;
        let inserted = diesel::insert_into(anaf_tokens::table)
            .values(NewToken {
                company_id,
                key_version: pair.key_version,
                access_token_ciphertext: &pair.access_token_ciphertext,
                refresh_token_ciphertext: pair.refresh_token_ciphertext.as_deref(),
                fingerprint: &pair.fingerprint,
                access_expires_at: pair.access_expires_at,
                refresh_expires_at: pair.refresh_expires_at,
                issued_at: pair.issued_at,
                certificate_serial: pair.certificate_serial.as_deref(),
                certificate_issuer: pair.certificate_issuer.as_deref(),
                status: "active",
                rights: Rights::Unknown.as_str(),
                source,
                created_by,
                created_at: at,
                updated_at: at,
            })
            .returning(anaf_tokens::id)
            .get_result::<i64>(conn);
        match inserted {
            Ok(id) => Ok(anaf_tokens::table
                .find(id)
                .select(TokenMeta::as_select())
                .first(conn)?),
            // Two identical saves at once: the loser of the race sees the unique index.
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                Err(StoreTokenError::Duplicate)
            }
            Err(e) => Err(e.into()),
        }
    })
}

pub fn find_meta(conn: &mut DbConnection, id: i64) -> QueryResult<Option<TokenMeta>> {
    anaf_tokens::table
        .find(id)
        .select(TokenMeta::as_select())
        .get_optional(conn)
}

pub fn find_meta_for_company(
    conn: &mut DbConnection,
    company_id: i64,
) -> QueryResult<Option<TokenMeta>> {
    anaf_tokens::table
        .filter(anaf_tokens::company_id.eq(company_id))
        .select(TokenMeta::as_select())
        .get_optional(conn)
}

pub fn load_secrets(conn: &mut DbConnection, id: i64) -> QueryResult<Option<TokenSecrets>> {
    anaf_tokens::table
        .find(id)
        .select(TokenSecrets::as_select())
        .get_optional(conn)
}

/// Takes the refresh lease unless another refresh holds a live one; true when taken.
pub fn try_lease_refresh(
    conn: &mut DbConnection,
    id: i64,
    at: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<bool> {
    let taken = diesel::update(
        anaf_tokens::table.find(id).filter(
            anaf_tokens::refreshing_until
                .is_null()
                .or(anaf_tokens::refreshing_until.lt(at)),
        ),
    )
    .set(anaf_tokens::refreshing_until.eq(Some(until)))
    .execute(conn)?;
    Ok(taken == 1)
}

/// Whether a refresh lease is held right now.
pub fn is_leased(conn: &mut DbConnection, id: i64, at: NaiveDateTime) -> QueryResult<bool> {
    let until: Option<Option<NaiveDateTime>> = anaf_tokens::table
        .find(id)
        .select(anaf_tokens::refreshing_until)
        .get_optional(conn)?;
    Ok(until.flatten().is_some_and(|u| u > at))
}

/// Saves a refreshed pair and releases the lease, in one statement.
pub fn save_refreshed(conn: &mut DbConnection, id: i64, pair: &SealedPair) -> QueryResult<usize> {
    let at = now();
    diesel::update(anaf_tokens::table.find(id))
        .set((
            anaf_tokens::key_version.eq(pair.key_version),
            anaf_tokens::access_token_ciphertext.eq(&pair.access_token_ciphertext),
            anaf_tokens::refresh_token_ciphertext.eq(pair.refresh_token_ciphertext.as_deref()),
            anaf_tokens::fingerprint.eq(&pair.fingerprint),
            anaf_tokens::access_expires_at.eq(pair.access_expires_at),
            anaf_tokens::refresh_expires_at.eq(pair.refresh_expires_at),
            anaf_tokens::issued_at.eq(pair.issued_at),
            anaf_tokens::status.eq("active"),
            anaf_tokens::last_refreshed_at.eq(Some(at)),
            anaf_tokens::last_error.eq(None::<String>),
            anaf_tokens::last_error_at.eq(None::<NaiveDateTime>),
            anaf_tokens::refreshing_until.eq(None::<NaiveDateTime>),
            anaf_tokens::updated_at.eq(at),
        ))
        .execute(conn)
}

/// Records a failed refresh and releases the lease; `reconnect_needed` when ANAF's refusal is final.
pub fn record_refresh_failure(
    conn: &mut DbConnection,
    id: i64,
    error: &str,
    reconnect_needed: bool,
) -> QueryResult<usize> {
    let at = now();
    let target = anaf_tokens::table.find(id);
    let common = (
        anaf_tokens::last_error.eq(Some(error)),
        anaf_tokens::last_error_at.eq(Some(at)),
        anaf_tokens::refreshing_until.eq(None::<NaiveDateTime>),
        anaf_tokens::updated_at.eq(at),
    );
    if reconnect_needed {
        diesel::update(target)
            .set((common, anaf_tokens::status.eq("reconnect_needed")))
            .execute(conn)
    } else {
        diesel::update(target).set(common).execute(conn)
    }
}

pub fn record_rights(
    conn: &mut DbConnection,
    id: i64,
    rights: Rights,
    detail: Option<&str>,
) -> QueryResult<usize> {
    let at = now();
    diesel::update(anaf_tokens::table.find(id))
        .set((
            anaf_tokens::rights.eq(rights.as_str()),
            anaf_tokens::rights_detail.eq(detail),
            anaf_tokens::rights_checked_at.eq(Some(at)),
            anaf_tokens::updated_at.eq(at),
        ))
        .execute(conn)
}

pub fn delete(conn: &mut DbConnection, id: i64) -> QueryResult<usize> {
    diesel::delete(anaf_tokens::table.find(id)).execute(conn)
}

/// Whether a token with this fingerprint (SHA-256 of the access token) is stored already.
pub fn fingerprint_exists(conn: &mut DbConnection, fingerprint: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        anaf_tokens::table.filter(anaf_tokens::fingerprint.eq(fingerprint)),
    ))
    .get_result(conn)
}

/// What the API's token list needs of a token: no secrets, and only the timestamps it shows
/// (reading a timestamp is the costly part of a row).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = anaf_tokens)]
pub struct TokenSummary {
    pub id: i64,
    pub access_expires_at: NaiveDateTime,
    pub refresh_expires_at: Option<NaiveDateTime>,
    status: String,
    rights: String,
    pub created_at: NaiveDateTime,
    #[diesel(select_expression = anaf_tokens::refresh_token_ciphertext.is_not_null())]
    #[diesel(select_expression_type = diesel::dsl::IsNotNull<anaf_tokens::refresh_token_ciphertext>)]
    pub has_refresh_token: bool,
}

impl TokenSummary {
    pub fn state(&self) -> TokenState {
        if self.status == "reconnect_needed" {
            TokenState::ReconnectNeeded
        } else {
            TokenState::Active
        }
    }

    pub fn rights(&self) -> Rights {
        match self.rights.as_str() {
            "granted" => Rights::Granted,
            "denied" => Rights::Denied,
            _ => Rights::Unknown,
        }
    }
}

/// The tokens of every company `user_id` is a member of, with the company's CIF and name, oldest
/// token first. One query, whatever the number of tokens.
pub fn list_for_member(
    conn: &mut DbConnection,
    user_id: i64,
) -> QueryResult<Vec<(TokenSummary, String, Option<String>)>> {
    use crate::db::schema::{companies, company_members};
    anaf_tokens::table
        .inner_join(companies::table.inner_join(company_members::table))
        .filter(company_members::user_id.eq(user_id))
        .order(anaf_tokens::id.asc())
        .select((TokenSummary::as_select(), companies::cif, companies::name))
        .load(conn)
}
