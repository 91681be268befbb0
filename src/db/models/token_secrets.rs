//! `anaf_token_secrets`: a token's sealed values, read by the token service and the key
//! rotation only.

use crate::db::DbConnection;
use crate::db::models::KeyLookup;
use crate::db::schema::{anaf_token_secrets, anaf_tokens};

use crate::db::models::tokens::TokenSecrets;
use crate::domain::{CompanyId, TokenId};
use diesel::prelude::*;

pub fn load_secrets(conn: &mut DbConnection, id: TokenId) -> QueryResult<Option<TokenSecrets>> {
    let row: Option<(TokenId, CompanyId, String, String, Option<String>)> =
        anaf_token_secrets::table
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
    let rows: Vec<(TokenId, CompanyId, String, String, Option<String>)> = query
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
