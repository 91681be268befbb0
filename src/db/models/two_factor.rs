//! Second factors: the authenticator secret (`user_totp`), recovery codes and the policy row.

use crate::domain::UserId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::models::now;
use crate::db::schema::{company_members, recovery_codes, two_factor_policy, user_totp};
use crate::domain::MemberRole;
use crate::domain::two_factor::{Factor, TwoFactorPolicy};

/// A person's authenticator secret, sealed.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = user_totp)]
pub struct TotpRow {
    pub user_id: UserId,
    pub key_id: String,
    pub secret_sealed: String,
    /// `None` while the enrolment waits for its first correct code.
    pub enabled_at: Option<NaiveDateTime>,
    pub last_step: Option<i64>,
}

/// The second factors the person has: an authenticator app switched on, passkeys.
pub fn factors_of(conn: &mut DbConnection, user_id: UserId) -> QueryResult<Vec<Factor>> {
    let totp = totp_of(conn, user_id)?.is_some_and(|r| r.enabled_at.is_some());
    let passkeys = crate::db::models::passkeys::count_of(conn, user_id)? > 0;
    Ok([(totp, Factor::Totp), (passkeys, Factor::Passkey)]
        .into_iter()
        .filter_map(|(has, factor)| has.then_some(factor))
        .collect())
}

pub fn totp_of(conn: &mut DbConnection, user_id: UserId) -> QueryResult<Option<TotpRow>> {
    user_totp::table
        .find(user_id)
        .select(TotpRow::as_select())
        .first(conn)
        .optional()
}

/// Starts an enrolment with a new sealed secret, replacing an unconfirmed one; false (nothing
/// written) when two-factor is on already.
pub fn start_totp(
    conn: &mut DbConnection,
    user_id: UserId,
    key_id: &str,
    sealed: &str,
) -> QueryResult<bool> {
    diesel::delete(
        user_totp::table
            .filter(user_totp::user_id.eq(user_id))
            .filter(user_totp::enabled_at.is_null()),
    )
    .execute(conn)?;
    let inserted = crate::insert_ignore!(
        conn,
        diesel::insert_into(user_totp::table).values((
            user_totp::user_id.eq(user_id),
            user_totp::key_id.eq(key_id),
            user_totp::secret_sealed.eq(sealed),
            user_totp::created_at.eq(now()),
        ))
    )?;
    Ok(inserted == 1)
}

/// Switches two-factor on with the step of the code that confirmed it; rows written.
pub fn enable_totp(conn: &mut DbConnection, user_id: UserId, step: i64) -> QueryResult<usize> {
    diesel::update(
        user_totp::table
            .filter(user_totp::user_id.eq(user_id))
            .filter(user_totp::enabled_at.is_null()),
    )
    .set((
        user_totp::enabled_at.eq(Some(now())),
        user_totp::last_step.eq(Some(step)),
    ))
    .execute(conn)
}

/// Records that a code of `step` was used, unless one of that step or a later one was: 1 when
/// the code counts, 0 when it is a replay (or two-factor is off). One statement, so two
/// requests racing with the same code cannot both win.
pub fn accept_step(conn: &mut DbConnection, user_id: UserId, step: i64) -> QueryResult<usize> {
    diesel::update(
        user_totp::table
            .filter(user_totp::user_id.eq(user_id))
            .filter(user_totp::enabled_at.is_not_null())
            .filter(
                user_totp::last_step
                    .is_null()
                    .or(user_totp::last_step.lt(step)),
            ),
    )
    .set(user_totp::last_step.eq(Some(step)))
    .execute(conn)
}

/// The authenticator app off: its secret goes, and the recovery codes unless passkeys remain.
pub fn delete_all(conn: &mut DbConnection, user_id: UserId) -> QueryResult<()> {
    diesel::delete(user_totp::table.filter(user_totp::user_id.eq(user_id))).execute(conn)?;
    // Passkeys left keep the codes: they are what opens the account without the device.
    if crate::db::models::passkeys::count_of(conn, user_id)? == 0 {
        diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
            .execute(conn)?;
    }
    Ok(())
}

/// Replaces the person's recovery codes with these hashes.
pub fn replace_recovery_codes(
    conn: &mut DbConnection,
    user_id: UserId,
    hashes: &[String],
) -> QueryResult<()> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
        .execute(conn)?;
    let at = now();
    // One statement per code: batch inserts do not run on the two-backend connection.
    for hash in hashes {
        diesel::insert_into(recovery_codes::table)
            .values((
                recovery_codes::user_id.eq(user_id),
                recovery_codes::code_hash.eq(hash),
                recovery_codes::created_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Spends the unused code with this hash: 1 when it was there, 0 otherwise.
pub fn use_recovery_code(
    conn: &mut DbConnection,
    user_id: UserId,
    hash: &str,
) -> QueryResult<usize> {
    diesel::update(
        recovery_codes::table
            .filter(recovery_codes::user_id.eq(user_id))
            .filter(recovery_codes::code_hash.eq(hash))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(Some(now())))
    .execute(conn)
}

pub fn recovery_codes_left(conn: &mut DbConnection, user_id: UserId) -> QueryResult<i64> {
    recovery_codes::table
        .filter(recovery_codes::user_id.eq(user_id))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)
}

pub fn policy(conn: &mut DbConnection) -> QueryResult<TwoFactorPolicy> {
    let row: Option<(bool, bool, bool)> = two_factor_policy::table
        .find(1_i64)
        .select((
            two_factor_policy::platform_admins,
            two_factor_policy::support_staff,
            two_factor_policy::company_admins,
        ))
        .first(conn)
        .optional()?;
    Ok(
        row.map_or_else(TwoFactorPolicy::default, |(a, s, c)| TwoFactorPolicy {
            platform_admins: a,
            support_staff: s,
            company_admins: c,
        }),
    )
}

pub fn set_policy(
    conn: &mut DbConnection,
    policy: TwoFactorPolicy,
    by: UserId,
) -> QueryResult<usize> {
    diesel::update(two_factor_policy::table.find(1_i64))
        .set((
            two_factor_policy::platform_admins.eq(policy.platform_admins),
            two_factor_policy::support_staff.eq(policy.support_staff),
            two_factor_policy::company_admins.eq(policy.company_admins),
            two_factor_policy::updated_at.eq(Some(now())),
            two_factor_policy::updated_by.eq(Some(by)),
        ))
        .execute(conn)
}

/// Whether the person is an admin of at least one company.
pub fn is_company_admin(conn: &mut DbConnection, user_id: UserId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        company_members::table
            .filter(company_members::user_id.eq(user_id))
            .filter(company_members::role.eq(MemberRole::Admin)),
    ))
    .get_result(conn)
}

/// Secrets sealed with another key than `key_id` (`rotate-keys`): user, key and ciphertext.
pub fn sealed_with_other_keys(
    conn: &mut DbConnection,
    key_id: &str,
) -> QueryResult<Vec<(UserId, String, String)>> {
    user_totp::table
        .filter(user_totp::key_id.ne(key_id))
        .order(user_totp::user_id)
        .select((
            user_totp::user_id,
            user_totp::key_id,
            user_totp::secret_sealed,
        ))
        .load(conn)
}

/// Replaces a secret's ciphertext unless another change got there first; rows written.
pub fn reseal(
    conn: &mut DbConnection,
    user_id: UserId,
    old_key_id: &str,
    new_key_id: &str,
    sealed: &str,
) -> QueryResult<usize> {
    diesel::update(
        user_totp::table
            .filter(user_totp::user_id.eq(user_id))
            .filter(user_totp::key_id.eq(old_key_id)),
    )
    .set((
        user_totp::key_id.eq(new_key_id),
        user_totp::secret_sealed.eq(sealed),
    ))
    .execute(conn)
}

/// The account's password hash, for re-authentication (`None`: no such account).
pub fn password_hash(conn: &mut DbConnection, user_id: UserId) -> QueryResult<Option<String>> {
    crate::db::schema::users::table
        .find(user_id)
        .select(crate::db::schema::users::password_hash)
        .first(conn)
        .optional()
}

/// A user and the policy's three flags (`None` only if the policy row were missing).
type UserAndPolicyRow = (
    crate::db::models::users::User,
    Option<bool>,
    Option<bool>,
    Option<bool>,
);

/// The account with this id and the two-factor policy, in one statement (every request reads
/// both).
pub fn user_with_policy(
    conn: &mut DbConnection,
    user_id: UserId,
) -> QueryResult<Option<(crate::db::models::users::User, TwoFactorPolicy)>> {
    use crate::db::schema::users;
    let row: Option<UserAndPolicyRow> = users::table
        .left_join(two_factor_policy::table.on(two_factor_policy::id.eq(1_i64)))
        .filter(users::id.eq(user_id))
        .select((
            crate::db::models::users::User::as_select(),
            two_factor_policy::platform_admins.nullable(),
            two_factor_policy::support_staff.nullable(),
            two_factor_policy::company_admins.nullable(),
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(|(user, a, s, c)| {
        (
            user,
            TwoFactorPolicy {
                platform_admins: a.unwrap_or(false),
                support_staff: s.unwrap_or(false),
                company_admins: c.unwrap_or(false),
            },
        )
    }))
}
