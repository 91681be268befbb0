use chrono::NaiveDateTime;
use diesel::dsl::{exists, not};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::db::models::KeyLookup;
use crate::db::models::now;
use crate::db::schema::{sessions, users};
use crate::db::{DbConnection, write_transaction};
use crate::domain::{Email, Role, UserId};

/// A user as every page sees it; the password hash is only read by `find_credentials`.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub role: Role,
    pub disabled_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    /// When the owner proved the mailbox (`None`: unverified, and trusted for nothing).
    pub email_verified_at: Option<NaiveDateTime>,
    /// The language of their mail and of their pages after a login (`i18n::Lang` code).
    pub language: String,
}

impl User {
    pub fn is_disabled(&self) -> bool {
        self.disabled_at.is_some()
    }

    /// Whether the account's email is proven: only then does anything trust it.
    pub fn is_verified(&self) -> bool {
        self.email_verified_at.is_some()
    }
}

#[derive(Insertable)]
#[diesel(table_name = users)]
struct NewUser<'a> {
    email: &'a str,
    password_hash: &'a str,
    role: Role,
    /// The language of their email (`i18n::Lang` code).
    language: &'a str,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    email_verified_at: Option<NaiveDateTime>,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error(transparent)]
    Database(#[from] DieselError),
}

/// Whether a new account's email counts as proven from the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    /// Self-registration: the owner still has to open the link mailed to the address.
    No,
    /// Made by an operator (`anaf-portal user create`), who vouches for the address.
    ByOperator,
}

/// Creates a user. With `role` `None` (self-registration) the very first account becomes `admin`
/// and every later one `user`, decided in one statement so two first registrations cannot both win.
pub fn create(
    conn: &mut DbConnection,
    email: &Email,
    password_hash: &str,
    role: Option<Role>,
    language: &str,
    verified: Verified,
) -> Result<User, CreateUserError> {
    let at = now();
    let inserted = diesel::insert_into(users::table)
        .values(NewUser {
            email: email.as_str(),
            password_hash,
            role: role.unwrap_or(Role::User),
            language,
            created_at: at,
            updated_at: at,
            email_verified_at: (verified == Verified::ByOperator).then_some(at),
        })
        .returning(users::id)
        .get_result::<i64>(conn);
    let id = match inserted {
        Ok(id) => id,
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            return Err(CreateUserError::EmailTaken);
        }
        Err(e) => return Err(e.into()),
    };
    if role.is_none() {
        let earlier = diesel::alias!(users as earlier);
        diesel::update(users::table.filter(users::id.eq(id)))
            .filter(not(exists(earlier.filter(earlier.field(users::id).lt(id)))))
            .set(users::role.eq(Role::Admin))
            .execute(conn)?;
    }
    Ok(users::table
        .find(id)
        .select(User::as_select())
        .first(conn)?)
}

pub fn find(conn: &mut DbConnection, id: UserId) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(User::as_select())
        .get_optional(conn)
}

/// The user and their password hash, for login only.
pub fn find_credentials(
    conn: &mut DbConnection,
    email: &Email,
) -> QueryResult<Option<(User, String)>> {
    users::table
        .filter(users::email.eq(email.as_str()))
        .select((User::as_select(), users::password_hash))
        .first(conn)
        .optional()
}

pub fn find_by_email(conn: &mut DbConnection, email: &Email) -> QueryResult<Option<User>> {
    users::table
        .filter(users::email.eq(email.as_str()))
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// Marks the account's current email as proven (the owner opened a link, or a platform admin
/// vouches for it). Whether the account exists.
pub fn mark_verified(conn: &mut DbConnection, id: UserId) -> QueryResult<bool> {
    let at = now();
    let changed = diesel::update(users::table.find(id))
        .filter(users::email_verified_at.is_null())
        .set((users::email_verified_at.eq(at), users::updated_at.eq(at)))
        .execute(conn)?;
    Ok(changed == 1 || find(conn, id)?.is_some())
}

/// Disables or enables an account; disabling ends every session of the user at once.
pub fn set_disabled(conn: &mut DbConnection, id: UserId, disabled: bool) -> QueryResult<usize> {
    write_transaction(conn, |conn| {
        let at = now();
        let changed = diesel::update(users::table.find(id))
            .set((
                users::disabled_at.eq(disabled.then_some(at)),
                users::updated_at.eq(at),
            ))
            .execute(conn)?;
        if disabled {
            diesel::delete(sessions::table.filter(sessions::user_id.eq(id))).execute(conn)?;
        }
        Ok(changed)
    })
}

/// A page of users, optionally matching part of the email, and the total.
pub fn list(
    conn: &mut DbConnection,
    search: Option<&str>,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<User>, i64)> {
    let filtered = || {
        let mut q = users::table.into_boxed();
        if let Some(search) = search.map(str::trim).filter(|s| !s.is_empty()) {
            let escaped = crate::db::models::escape_like(&search.to_lowercase());
            q = q.filter(users::email.like(format!("%{escaped}%")).escape('\\'));
        }
        q
    };
    let total = filtered().count().get_result(conn)?;
    let rows = filtered()
        .order(users::email.asc())
        .offset(offset)
        .limit(limit)
        .select(User::as_select())
        .load(conn)?;
    Ok((rows, total))
}

#[derive(Debug, thiserror::Error)]
pub enum AdminChangeError {
    #[error("the last active admin cannot be demoted or disabled")]
    LastAdmin,
    #[error("no such user")]
    NotFound,
    #[error(transparent)]
    Database(#[from] DieselError),
}

fn other_active_admins(conn: &mut DbConnection, id: UserId) -> QueryResult<i64> {
    users::table
        .filter(users::role.eq(Role::Admin))
        .filter(users::disabled_at.is_null())
        .filter(users::id.ne(id))
        .count()
        .get_result(conn)
}

/// Changes a platform role or the disabled flag, refusing to leave the platform without an
/// active admin. Disabling ends every session of the user at once.
pub fn change_by_admin(
    conn: &mut DbConnection,
    id: UserId,
    role: Option<Role>,
    disabled: Option<bool>,
) -> Result<User, AdminChangeError> {
    write_transaction(conn, |conn| {
        let user = find(conn, id)?.ok_or(AdminChangeError::NotFound)?;
        let stays_admin =
            role.unwrap_or(user.role) == Role::Admin && !disabled.unwrap_or(user.is_disabled());
        if user.role == Role::Admin
            && !user.is_disabled()
            && !stays_admin
            && other_active_admins(conn, id)? == 0
        {
            return Err(AdminChangeError::LastAdmin);
        }
        if let Some(role) = role {
            diesel::update(users::table.find(id))
                .set((users::role.eq(role), users::updated_at.eq(now())))
                .execute(conn)?;
        }
        if let Some(disabled) = disabled {
            set_disabled(conn, id, disabled)?;
        }
        find(conn, id)?.ok_or(AdminChangeError::NotFound)
    })
}

/// How a person wants email, and in which language.
pub fn email_settings(
    conn: &mut DbConnection,
    id: UserId,
) -> QueryResult<Option<(crate::domain::EmailPreference, String)>> {
    users::table
        .find(id)
        .select((users::email_notifications, users::language))
        .get_optional(conn)
}

pub fn set_email_settings(
    conn: &mut DbConnection,
    id: UserId,
    preference: crate::domain::EmailPreference,
    language: &str,
) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((
            users::email_notifications.eq(preference),
            users::language.eq(language),
            users::updated_at.eq(now()),
        ))
        .execute(conn)
}

/// The account's password hash (re-authentication before a change).
pub fn password_hash(conn: &mut DbConnection, id: UserId) -> QueryResult<Option<String>> {
    users::table
        .find(id)
        .select(users::password_hash)
        .get_optional(conn)
}

/// Stores a new password hash.
pub fn set_password_hash(conn: &mut DbConnection, id: UserId, hash: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((users::password_hash.eq(hash), users::updated_at.eq(now())))
        .execute(conn)
}

/// Gives the account the address `email`, proven (its owner opened a link mailed to it).
pub fn change_email(
    conn: &mut DbConnection,
    id: UserId,
    email: &str,
) -> Result<usize, CreateUserError> {
    let at = now();
    match diesel::update(users::table.find(id))
        .set((
            users::email.eq(email),
            users::email_verified_at.eq(Some(at)),
            users::updated_at.eq(at),
        ))
        .execute(conn)
    {
        Ok(n) => Ok(n),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            Err(CreateUserError::EmailTaken)
        }
        Err(e) => Err(e.into()),
    }
}

/// Whether some account other than `id` has the address `email`.
pub fn email_taken(conn: &mut DbConnection, email: &str, id: UserId) -> QueryResult<bool> {
    diesel::select(exists(
        users::table
            .filter(users::email.eq(email))
            .filter(users::id.ne(id)),
    ))
    .get_result(conn)
}

/// The language of the person's mail and pages.
pub fn set_language(conn: &mut DbConnection, id: UserId, language: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((users::language.eq(language), users::updated_at.eq(now())))
        .execute(conn)
}
