//! API keys: `anaf_` + base64url of 32 random bytes, shown once at creation. The table keeps only
//! the key's SHA-256 (hex) and a display prefix, so a copy of the database hands out no access.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::models::{KeyLookup, now};
use crate::db::schema::{api_key_companies, api_keys, users};
use crate::domain::{ApiKeyId, CompanyId, KeyCompanies, KeyScope, Permissions, Role, UserId};
use crate::secrets::{random_token, sha256_hex};

/// Every key starts with this; a bearer value without it is refused before any lookup.
pub const KEY_PREFIX: &str = "anaf_";
/// Random bytes in a key.
const KEY_BYTES: usize = 32;
/// Length of a key: the prefix and 43 base64url characters.
pub const KEY_LENGTH: usize = KEY_PREFIX.len() + 43;
/// How many leading characters of a key are stored and shown.
pub const DISPLAY_PREFIX_LENGTH: usize = 12;
/// Longest name a key may have.
pub const MAX_NAME_CHARS: usize = 100;

/// A key as its owner sees it in the list (never the key itself).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_keys)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub user_id: UserId,
    pub name: String,
    pub prefix: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    /// Space-separated permission names (`Permissions::to_stored`).
    pub permissions: String,
    pub all_companies: bool,
}

impl ApiKey {
    /// What the key may do; the companies of a key limited to some are `companies`.
    pub fn scope(&self, companies: impl IntoIterator<Item = CompanyId>) -> KeyScope {
        scope_of(&self.permissions, self.all_companies, companies)
    }
}

/// A stored scope: names that no longer parse are dropped (a key never gains from a typo).
fn scope_of(
    permissions: &str,
    all_companies: bool,
    companies: impl IntoIterator<Item = CompanyId>,
) -> KeyScope {
    let permissions = Permissions::new(
        permissions
            .split_whitespace()
            .filter_map(|name| name.parse().ok()),
    );
    KeyScope {
        permissions,
        companies: match all_companies {
            true => KeyCompanies::All,
            false => KeyCompanies::Only(companies.into_iter().collect()),
        },
    }
}

#[derive(Insertable)]
#[diesel(table_name = api_keys)]
struct NewApiKey<'a> {
    user_id: UserId,
    name: &'a str,
    prefix: &'a str,
    key_hash: &'a str,
    created_at: NaiveDateTime,
    permissions: String,
    all_companies: bool,
}

/// The key's shape: our prefix and exactly 43 base64url characters.
pub fn is_well_formed(key: &str) -> bool {
    key.len() == KEY_LENGTH
        && key.starts_with(KEY_PREFIX)
        && key[KEY_PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Creates a key for `user_id` with `scope`; returns the row and the key, which is never
/// available again. Call it in a transaction (the key's companies are a second insert).
pub fn create(
    conn: &mut DbConnection,
    user_id: UserId,
    name: &str,
    scope: &KeyScope,
) -> QueryResult<(ApiKey, String)> {
    let key = format!("{KEY_PREFIX}{}", random_token(KEY_BYTES));
    let id = diesel::insert_into(api_keys::table)
        .values(NewApiKey {
            user_id,
            name,
            prefix: &key[..DISPLAY_PREFIX_LENGTH],
            key_hash: &sha256_hex(&key),
            created_at: now(),
            permissions: scope.permissions.to_stored(),
            all_companies: scope.companies == KeyCompanies::All,
        })
        .returning(api_keys::id)
        .get_result::<ApiKeyId>(conn)?;
    if let KeyCompanies::Only(companies) = &scope.companies {
        for company in companies {
            diesel::insert_into(api_key_companies::table)
                .values((
                    api_key_companies::api_key_id.eq(id),
                    api_key_companies::company_id.eq(*company),
                ))
                .execute(conn)?;
        }
    }
    let row = api_keys::table
        .find(id)
        .select(ApiKey::as_select())
        .first(conn)?;
    Ok((row, key))
}

/// The user's keys that still work, newest first. (Takes a plain number too, for the account
/// services that still pass one.)
pub fn list_active(conn: &mut DbConnection, user_id: UserId) -> QueryResult<Vec<ApiKey>> {
    api_keys::table
        .filter(api_keys::user_id.eq(user_id))
        .filter(api_keys::revoked_at.is_null())
        .order(api_keys::id.desc())
        .select(ApiKey::as_select())
        .load(conn)
}

/// Revokes one of the user's keys; 0 when it is not theirs or already revoked. (Takes plain
/// numbers too, for the account services that still pass them.)
pub fn revoke(conn: &mut DbConnection, user_id: UserId, id: ApiKeyId) -> QueryResult<usize> {
    diesel::update(
        api_keys::table
            .find(id)
            .filter(api_keys::user_id.eq(user_id))
            .filter(api_keys::revoked_at.is_null()),
    )
    .set(api_keys::revoked_at.eq(Some(now())))
    .execute(conn)
}

/// The companies of each of `keys` limited to some companies.
pub fn companies_of(
    conn: &mut DbConnection,
    keys: &[ApiKeyId],
) -> QueryResult<Vec<(ApiKeyId, CompanyId)>> {
    api_key_companies::table
        .filter(api_key_companies::api_key_id.eq_any(keys))
        .select((api_key_companies::api_key_id, api_key_companies::company_id))
        .load(conn)
}

/// What a live key of an enabled user says about its caller.
#[derive(Debug, Clone)]
pub struct KeyOwner {
    pub key_id: ApiKeyId,
    pub user_id: UserId,
    pub role: Role,
    pub scope: KeyScope,
}

/// The live key with this hash, its user and its scope: one query, two for a key limited to
/// some companies. A revoked key, an unknown key and a key of a disabled user all come back
/// `None`.
pub fn authenticate(conn: &mut DbConnection, key_hash: &str) -> QueryResult<Option<KeyOwner>> {
    let found: Option<(ApiKeyId, UserId, Role, String, bool)> = api_keys::table
        .inner_join(users::table)
        .filter(api_keys::key_hash.eq(key_hash))
        .filter(api_keys::revoked_at.is_null())
        .filter(users::disabled_at.is_null())
        .select((
            api_keys::id,
            api_keys::user_id,
            users::role,
            api_keys::permissions,
            api_keys::all_companies,
        ))
        .get_optional(conn)?;
    let Some((key_id, user_id, role, permissions, all_companies)) = found else {
        return Ok(None);
    };
    let companies = match all_companies {
        true => Vec::new(),
        false => companies_of(conn, &[key_id])?,
    };
    Ok(Some(KeyOwner {
        key_id,
        user_id,
        role,
        scope: scope_of(
            &permissions,
            all_companies,
            companies.into_iter().map(|(_, company)| company),
        ),
    }))
}

/// Records a use of the key (callers throttle this to about once a minute per key). (Takes a
/// plain number too, for the account services that still pass one.)
pub fn touch(conn: &mut DbConnection, id: ApiKeyId, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(api_keys::table.find(id))
        .set(api_keys::last_used_at.eq(Some(at)))
        .execute(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_shape() {
        let key = format!("{KEY_PREFIX}{}", random_token(KEY_BYTES));
        assert_eq!(key.len(), KEY_LENGTH);
        assert!(is_well_formed(&key));
        assert!(!is_well_formed("anaf_short"));
        assert!(!is_well_formed(&key.replace("anaf_", "xxxx_")));
        assert!(!is_well_formed(&format!("{}!", &key[..KEY_LENGTH - 1])));
    }
}
