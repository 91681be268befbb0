use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::db::DbConnection;
use crate::db::models::now;
use crate::db::models::tokens::TokenMeta;
use crate::db::schema::{anaf_tokens, companies, company_members};
use crate::domain::Cif;

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = companies)]
pub struct Company {
    pub id: i64,
    pub cif: String,
    pub name: Option<String>,
    pub created_at: NaiveDateTime,
}

impl Company {
    /// The name when known, else the CIF.
    pub fn display_name(&self) -> &str {
        self.name
            .as_deref()
            .filter(|n| !n.is_empty())
            .unwrap_or(&self.cif)
    }
}

/// A person's role within one company.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberRole {
    /// Connects, refreshes, deletes and reveals tokens; manages members.
    Admin,
    /// Sees status and expiry only.
    Viewer,
}

impl MemberRole {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberRole::Admin => "admin",
            MemberRole::Viewer => "viewer",
        }
    }

    fn from_column(value: &str) -> MemberRole {
        if value == "admin" {
            MemberRole::Admin
        } else {
            MemberRole::Viewer
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = companies)]
struct NewCompany<'a> {
    cif: &'a str,
    name: Option<&'a str>,
    created_by: Option<i64>,
    created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = company_members)]
struct NewMember<'a> {
    company_id: i64,
    user_id: i64,
    role: &'a str,
    created_at: NaiveDateTime,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateCompanyError {
    #[error("a company with this CIF is already registered")]
    CifTaken,
    #[error(transparent)]
    Database(#[from] DieselError),
}

/// Adds a company; its creator becomes its company admin.
pub fn create_with_admin(
    conn: &mut DbConnection,
    cif: &Cif,
    name: Option<&str>,
    user_id: i64,
) -> Result<Company, CreateCompanyError> {
    conn.transaction(|conn| {
        let at = now();
        let inserted = diesel::insert_into(companies::table)
            .values(NewCompany {
                cif: cif.as_str(),
                name,
                created_by: Some(user_id),
                created_at: at,
            })
            .returning(companies::id)
            .get_result::<i64>(conn);
        let company_id = match inserted {
            Ok(id) => id,
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                return Err(CreateCompanyError::CifTaken);
            }
            Err(e) => return Err(e.into()),
        };
        // RETURNING of a whole row is not portable across the two backends; read it back.
        let company = companies::table
            .find(company_id)
            .select(Company::as_select())
            .first(conn)?;
        diesel::insert_into(company_members::table)
            .values(NewMember {
                company_id: company.id,
                user_id,
                role: MemberRole::Admin.as_str(),
                created_at: at,
            })
            .execute(conn)?;
        Ok(company)
    })
}

/// The company and the user's role in it, or `None` when the user is not a member.
pub fn find_for_member(
    conn: &mut DbConnection,
    company_id: i64,
    user_id: i64,
) -> QueryResult<Option<(Company, MemberRole)>> {
    let found: Option<(Company, String)> = companies::table
        .inner_join(company_members::table)
        .filter(companies::id.eq(company_id))
        .filter(company_members::user_id.eq(user_id))
        .select((Company::as_select(), company_members::role))
        .first(conn)
        .optional()?;
    Ok(found.map(|(company, role)| (company, MemberRole::from_column(&role))))
}

/// Which rows of a user's companies to show.
#[derive(Debug, Clone, Default)]
pub struct CompanyQuery {
    /// Matches the CIF's start or any part of the name, case-insensitively.
    pub search: Option<String>,
    /// Only companies that have a token (the "all my tokens" page).
    pub with_token_only: bool,
    pub offset: i64,
    pub limit: i64,
}

/// One row of the dashboard or token table: the company, the caller's role, and the token's
/// metadata (never its secrets).
pub struct CompanyRow {
    pub company: Company,
    pub role: MemberRole,
    pub token: Option<TokenMeta>,
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// A page of the user's companies, soonest-expiring token first, and the total count. Two
/// queries whatever the page size.
pub fn list_for_user(
    conn: &mut DbConnection,
    user_id: i64,
    query: &CompanyQuery,
) -> QueryResult<(Vec<CompanyRow>, i64)> {
    let filtered = || {
        let mut q = companies::table
            .inner_join(company_members::table)
            .left_join(anaf_tokens::table)
            .filter(company_members::user_id.eq(user_id))
            .into_boxed();
        if let Some(search) = query
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let digits: String = search
                .trim_start_matches(['R', 'r', 'O', 'o'])
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            let name_pattern = format!("%{}%", escape_like(&search.to_lowercase()));
            let cif_pattern = format!("{}%", escape_like(&digits));
            q = q.filter(
                lower(companies::name.assume_not_null())
                    .like(name_pattern)
                    .escape('\\')
                    .or(companies::cif.like(cif_pattern).escape('\\')),
            );
        }
        if query.with_token_only {
            q = q.filter(anaf_tokens::id.is_not_null());
        }
        q
    };
    let total: i64 = filtered().count().get_result(conn)?;
    let rows: Vec<(Company, String, Option<TokenMeta>)> = filtered()
        .select((
            Company::as_select(),
            company_members::role,
            Option::<TokenMeta>::as_select(),
        ))
        .order((
            anaf_tokens::id.is_null(),
            anaf_tokens::access_expires_at.asc(),
            companies::cif.asc(),
        ))
        .offset(query.offset)
        .limit(query.limit)
        .load(conn)?;
    Ok((
        rows.into_iter()
            .map(|(company, role, token)| CompanyRow {
                company,
                role: MemberRole::from_column(&role),
                token,
            })
            .collect(),
        total,
    ))
}

/// The companies `user_id` administers, by CIF, at most `limit` of them.
pub fn administered_by(
    conn: &mut DbConnection,
    user_id: i64,
    limit: i64,
) -> QueryResult<Vec<Company>> {
    companies::table
        .inner_join(company_members::table)
        .filter(company_members::user_id.eq(user_id))
        .filter(company_members::role.eq(MemberRole::Admin.as_str()))
        .order(companies::cif.asc())
        .limit(limit)
        .select(Company::as_select())
        .load(conn)
}

/// The company with this CIF and the user's role in it, when the user is a member.
pub fn find_by_cif_for_member(
    conn: &mut DbConnection,
    cif: &Cif,
    user_id: i64,
) -> QueryResult<Option<(Company, MemberRole)>> {
    let found: Option<(Company, String)> = companies::table
        .inner_join(company_members::table)
        .filter(companies::cif.eq(cif.as_str()))
        .filter(company_members::user_id.eq(user_id))
        .select((Company::as_select(), company_members::role))
        .first(conn)
        .optional()?;
    Ok(found.map(|(company, role)| (company, MemberRole::from_column(&role))))
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Company>> {
    companies::table
        .find(id)
        .select(Company::as_select())
        .first(conn)
        .optional()
}
