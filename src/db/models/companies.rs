//! Companies, their members, and the lists of them that pages show.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

// Moved to the read models; named here too so that callers keep their paths.

use crate::db::models::KeyLookup;
use crate::db::models::name_lookups;
use crate::db::models::now;
use crate::db::schema::{anaf_tokens, companies, company_members, company_tokens, users};
use crate::db::{DbConnection, write_transaction};
use crate::domain::{Cif, CompanyId, Email, MemberRole, TokenState, UserId};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = companies)]
pub struct Company {
    pub id: CompanyId,
    pub cif: Cif,
    pub name: Option<String>,
    pub created_at: NaiveDateTime,
    /// From ANAF's registry (`name_lookups`), once it answered.
    pub address: Option<String>,
}

impl Company {
    /// The name when known, else the CIF.
    pub fn display_name(&self) -> &str {
        self.name
            .as_deref()
            .filter(|n| !n.is_empty())
            .unwrap_or(self.cif.as_str())
    }
}

#[derive(Insertable)]
#[diesel(table_name = companies)]
struct NewCompany<'a> {
    cif: &'a Cif,
    name: Option<&'a str>,
    created_by: Option<UserId>,
    created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = company_members)]
struct NewMember<'a> {
    company_id: CompanyId,
    user_id: UserId,
    role: MemberRole,
    created_at: NaiveDateTime,
    /// The company's, so that `company_members (user_id, cif)` keeps one record of a CIF per person.
    cif: &'a Cif,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateCompanyError {
    /// The person already has a company with this CIF in their list (another person's record of
    /// the same CIF is no obstacle, and is never mentioned).
    #[error("a company with this CIF is already in your list")]
    AlreadyInYourList,
    #[error(transparent)]
    Database(#[from] DieselError),
}

/// Adds a company; its creator becomes its company admin. Its CIF is queued for a lookup in
/// ANAF's registry.
pub fn create_with_admin(
    conn: &mut DbConnection,
    cif: &Cif,
    name: Option<&str>,
    user_id: UserId,
) -> Result<Company, CreateCompanyError> {
    write_transaction(conn, |conn| {
        let at = now();
        let company_id = diesel::insert_into(companies::table)
            .values(NewCompany {
                cif,
                name,
                created_by: Some(user_id),
                created_at: at,
            })
            .returning(companies::id)
            .get_result::<CompanyId>(conn)?;
        // RETURNING of a whole row is not portable across the two backends; read it back.
        let company = companies::table
            .find(company_id)
            .select(Company::as_select())
            .first(conn)?;
        let membership = diesel::insert_into(company_members::table)
            .values(NewMember {
                company_id: company.id,
                user_id,
                role: MemberRole::Admin,
                created_at: at,
                cif,
            })
            .execute(conn);
        match membership {
            Ok(_) => {
                // Its name (when none was typed) and address come from ANAF's registry.
                name_lookups::enqueue(conn, std::slice::from_ref(cif), at)?;
                Ok(company)
            }
            // The transaction rolls back: no orphan company is left.
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                Err(CreateCompanyError::AlreadyInYourList)
            }
            Err(e) => Err(e.into()),
        }
    })
}

/// Sets the company's name (a person typed it).
pub fn rename(conn: &mut DbConnection, company_id: CompanyId, name: &str) -> QueryResult<usize> {
    diesel::update(companies::table.find(company_id))
        .set(companies::name.eq(name))
        .execute(conn)
}

/// The company and the user's role in it, or `None` when the user is not a member.
pub fn find_for_member(
    conn: &mut DbConnection,
    company_id: CompanyId,
    user_id: UserId,
) -> QueryResult<Option<(Company, MemberRole)>> {
    companies::table
        .inner_join(company_members::table)
        .filter(companies::id.eq(company_id))
        .filter(company_members::user_id.eq(user_id))
        .select((Company::as_select(), company_members::role))
        .get_optional(conn)
}

/// The companies `user_id` administers, by CIF, at most `limit` of them.
pub fn administered_by(
    conn: &mut DbConnection,
    user_id: UserId,
    limit: i64,
) -> QueryResult<Vec<Company>> {
    companies::table
        .inner_join(company_members::table)
        .filter(company_members::user_id.eq(user_id))
        .filter(company_members::role.eq(MemberRole::Admin))
        .order(companies::cif.asc())
        .limit(limit)
        .select(Company::as_select())
        .load(conn)
}

/// The user's companies (at most `limit`, by CIF) with their role in each.
pub fn of_member(
    conn: &mut DbConnection,
    user_id: UserId,
    limit: i64,
) -> QueryResult<Vec<(Company, MemberRole)>> {
    companies::table
        .inner_join(company_members::table)
        .filter(company_members::user_id.eq(user_id))
        .order(companies::cif.asc())
        .limit(limit)
        .select((Company::as_select(), company_members::role))
        .load(conn)
}

/// The company with this CIF and the user's role in it, when the user is a member.
pub fn find_by_cif_for_member(
    conn: &mut DbConnection,
    cif: &Cif,
    user_id: UserId,
) -> QueryResult<Option<(Company, MemberRole)>> {
    companies::table
        .inner_join(company_members::table)
        .filter(companies::cif.eq(cif))
        .filter(company_members::user_id.eq(user_id))
        .select((Company::as_select(), company_members::role))
        .get_optional(conn)
}

/// The user's tokens (as company admin) due for a refresh at `at` that a refresh can renew, as
/// (token id, company id, CIF).
pub fn refreshable_due(
    conn: &mut DbConnection,
    user_id: UserId,
    at: NaiveDateTime,
) -> QueryResult<Vec<(i64, i64, Cif)>> {
    company_tokens::table
        .inner_join(anaf_tokens::table)
        .inner_join(companies::table.inner_join(company_members::table))
        .filter(company_members::user_id.eq(user_id))
        .filter(company_members::role.eq(MemberRole::Admin))
        .filter(anaf_tokens::status.eq(TokenState::Active))
        .filter(anaf_tokens::has_refresh_token)
        .filter(anaf_tokens::refresh_due_at.le(at))
        .filter(
            anaf_tokens::refresh_expires_at
                .is_null()
                .or(anaf_tokens::refresh_expires_at.gt(at)),
        )
        .select((anaf_tokens::id, companies::id, companies::cif))
        .order(anaf_tokens::access_expires_at.asc())
        .load(conn)
}

/// A company by id, for support staff (no membership needed).
pub fn find(conn: &mut DbConnection, company_id: CompanyId) -> QueryResult<Option<Company>> {
    companies::table
        .find(company_id)
        .select(Company::as_select())
        .get_optional(conn)
}

/// A member of a company, for the members page.
#[derive(Debug, Clone, Queryable)]
pub struct Member {
    pub user_id: UserId,
    pub email: String,
    pub role: MemberRole,
}

pub fn members(conn: &mut DbConnection, company_id: CompanyId) -> QueryResult<Vec<Member>> {
    company_members::table
        .inner_join(users::table)
        .filter(company_members::company_id.eq(company_id))
        .order(users::email.asc())
        .select((users::id, users::email, company_members::role))
        .load(conn)
}

/// The company admins' emails of each of `company_ids`, as (company id, email), by email.
pub fn admins_of(
    conn: &mut DbConnection,
    company_ids: &[CompanyId],
) -> QueryResult<Vec<(CompanyId, String)>> {
    company_members::table
        .inner_join(users::table)
        .filter(company_members::company_id.eq_any(company_ids))
        .filter(company_members::role.eq(MemberRole::Admin))
        .order((company_members::company_id, users::email))
        .select((company_members::company_id, users::email))
        .load(conn)
}

/// The other companies registered with `cif` (each person keeps their own record of a CIF).
pub fn others_with_cif(
    conn: &mut DbConnection,
    cif: &Cif,
    except: CompanyId,
) -> QueryResult<Vec<Company>> {
    companies::table
        .filter(companies::cif.eq(cif))
        .filter(companies::id.ne(except))
        .order(companies::id)
        .select(Company::as_select())
        .load(conn)
}

/// Why a person could not join a company.
#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    #[error("already a member")]
    AlreadyMember,
    /// The person is a member of another record of the same CIF.
    #[error("already has a company with this CIF")]
    HasThisCif,
    #[error(transparent)]
    Database(#[from] DieselError),
}

#[derive(Debug, thiserror::Error)]
pub enum MembershipError {
    #[error("not a member")]
    NotMember,
    #[error("a company keeps at least one admin")]
    LastAdmin,
    #[error(transparent)]
    Database(#[from] DieselError),
}

/// Whether the account with `email` is a member of the company.
pub fn has_member_with_email(
    conn: &mut DbConnection,
    company_id: CompanyId,
    email: &Email,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        company_members::table
            .inner_join(users::table)
            .filter(company_members::company_id.eq(company_id))
            .filter(users::email.eq(email.as_str())),
    ))
    .get_result(conn)
}

/// Makes `user_id` a member of the company (a transaction of its own, or part of the caller's).
pub fn add_member(
    conn: &mut DbConnection,
    company_id: CompanyId,
    user_id: UserId,
    role: MemberRole,
) -> Result<(), JoinError> {
    write_transaction(conn, |conn| {
        let already = diesel::select(diesel::dsl::exists(
            company_members::table
                .filter(company_members::company_id.eq(company_id))
                .filter(company_members::user_id.eq(user_id)),
        ))
        .get_result::<bool>(conn)?;
        if already {
            return Err(JoinError::AlreadyMember);
        }
        let cif: Cif = companies::table
            .find(company_id)
            .select(companies::cif)
            .first(conn)?;
        let inserted = diesel::insert_into(company_members::table)
            .values(NewMember {
                company_id,
                user_id,
                role,
                created_at: now(),
                cif: &cif,
            })
            .execute(conn);
        match inserted {
            Ok(_) => Ok(()),
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                Err(JoinError::HasThisCif)
            }
            Err(e) => Err(e.into()),
        }
    })
}

fn admin_count(conn: &mut DbConnection, company_id: CompanyId) -> QueryResult<i64> {
    company_members::table
        .filter(company_members::company_id.eq(company_id))
        .filter(company_members::role.eq(MemberRole::Admin))
        .count()
        .get_result(conn)
}

/// Changes a member's role (`Some`) or removes the member (`None`), never leaving the company
/// without an admin.
pub fn change_member(
    conn: &mut DbConnection,
    company_id: CompanyId,
    user_id: UserId,
    role: Option<MemberRole>,
) -> Result<(), MembershipError> {
    write_transaction(conn, |conn| {
        let target = company_members::table
            .filter(company_members::company_id.eq(company_id))
            .filter(company_members::user_id.eq(user_id));
        let current: Option<MemberRole> = target
            .select(company_members::role)
            .first(conn)
            .optional()?;
        let Some(current) = current else {
            return Err(MembershipError::NotMember);
        };
        let losing_admin = current == MemberRole::Admin && role != Some(MemberRole::Admin);
        if losing_admin && admin_count(conn, company_id)? <= 1 {
            return Err(MembershipError::LastAdmin);
        }
        match role {
            Some(role) => {
                diesel::update(target)
                    .set(company_members::role.eq(role))
                    .execute(conn)?;
            }
            None => {
                diesel::delete(target).execute(conn)?;
            }
        }
        Ok(())
    })
}
