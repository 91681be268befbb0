use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::db::models::KeyLookup;
use crate::db::models::tokens::TokenMeta;
use crate::db::models::{escape_like, now};
use crate::db::schema::{anaf_tokens, companies, company_members};
use crate::db::{DbConnection, write_transaction};
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
    pub fn parse(value: &str) -> Option<MemberRole> {
        match value {
            "admin" => Some(MemberRole::Admin),
            "viewer" => Some(MemberRole::Viewer),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MemberRole::Admin => "admin",
            MemberRole::Viewer => "viewer",
        }
    }

    pub fn from_column(value: &str) -> MemberRole {
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
    write_transaction(conn, |conn| {
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
        .get_optional(conn)?;
    Ok(found.map(|(company, role)| (company, MemberRole::from_column(&role))))
}

/// The status filters of the dashboard and the support area (see `TokenStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    NotConnected,
    Connected,
    ExpiringSoon,
    Expired,
    ReconnectNeeded,
    NoRights,
}

impl StatusFilter {
    pub const ALL: [StatusFilter; 6] = [
        StatusFilter::ExpiringSoon,
        StatusFilter::ReconnectNeeded,
        StatusFilter::Expired,
        StatusFilter::NoRights,
        StatusFilter::NotConnected,
        StatusFilter::Connected,
    ];

    pub fn code(self) -> &'static str {
        match self {
            StatusFilter::NotConnected => "not_connected",
            StatusFilter::Connected => "connected",
            StatusFilter::ExpiringSoon => "expiring_soon",
            StatusFilter::Expired => "expired",
            StatusFilter::ReconnectNeeded => "reconnect_needed",
            StatusFilter::NoRights => "no_rights",
        }
    }

    pub fn parse(code: &str) -> Option<StatusFilter> {
        StatusFilter::ALL.into_iter().find(|f| f.code() == code)
    }

    /// How many of the tokens (`None`: a company without one) are in each status at `at`.
    pub fn count<'a>(
        tokens: impl Iterator<Item = Option<&'a TokenMeta>>,
        at: NaiveDateTime,
    ) -> Vec<(StatusFilter, i64)> {
        let mut counts: Vec<(StatusFilter, i64)> =
            StatusFilter::ALL.iter().map(|f| (*f, 0)).collect();
        for token in tokens {
            let code = crate::tokens::TokenStatus::of(token, at).code();
            if let Some(entry) = counts.iter_mut().find(|(f, _)| f.code() == code) {
                entry.1 += 1;
            }
        }
        counts
    }
}

/// Which companies to show: of all companies (`list`, for support staff, where the search also
/// matches members' emails) or of a user's own (`web::listing::select`).
#[derive(Debug, Clone, Default)]
pub struct CompanyQuery {
    /// See `Search`.
    pub search: Option<String>,
    pub status: Option<StatusFilter>,
    /// Only companies that have a token (the "all my tokens" page).
    pub with_token_only: bool,
    pub offset: i64,
    pub limit: i64,
}

/// What a list search matches: any part of the name (case-insensitively), or the start of the
/// CIF (an `RO` prefix and spaces ignored).
pub struct Search {
    /// Lower-cased.
    pub name_part: String,
    pub cif_prefix: String,
}

impl Search {
    /// `None` for a blank search (no filter).
    pub fn parse(search: &str) -> Option<Search> {
        let search = search.trim();
        if search.is_empty() {
            return None;
        }
        Some(Search {
            name_part: search.to_lowercase(),
            cif_prefix: search
                .trim_start_matches(['R', 'r', 'O', 'o'])
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect(),
        })
    }
}

/// One row of the dashboard or token table: the company, the caller's role, and the token's
/// metadata (never its secrets).
pub struct CompanyRow {
    pub company: Company,
    pub role: MemberRole,
    pub token: Option<TokenMeta>,
}

type BoxedCompanies<'a> = diesel::dsl::IntoBoxed<
    'a,
    diesel::dsl::LeftJoin<companies::table, anaf_tokens::table>,
    crate::db::MultiBackend,
>;

fn filtered(query: &CompanyQuery, at: NaiveDateTime) -> BoxedCompanies<'static> {
    use crate::db::schema::users;
    let mut q = companies::table.left_join(anaf_tokens::table).into_boxed();
    if let Some(search) = query.search.as_deref().and_then(Search::parse) {
        let pattern = format!("%{}%", escape_like(&search.name_part));
        let cif_pattern = format!("{}%", escape_like(&search.cif_prefix));
        let by_company = lower(companies::name.assume_not_null())
            .like(pattern.clone())
            .escape('\\')
            .or(companies::cif.like(cif_pattern).escape('\\'));
        q = q.filter(
            by_company.or(companies::id.eq_any(
                company_members::table
                    .inner_join(users::table)
                    .filter(users::email.like(pattern).escape('\\'))
                    .select(company_members::company_id),
            )),
        );
    }
    if query.with_token_only {
        q = q.filter(anaf_tokens::id.is_not_null());
    }
    let soon = at + chrono::TimeDelta::days(crate::tokens::status::EXPIRING_SOON_DAYS);
    let active = anaf_tokens::status.eq("active");
    let live = active.and(anaf_tokens::access_expires_at.gt(at));
    q = match query.status {
        None => q,
        Some(StatusFilter::NotConnected) => q.filter(anaf_tokens::id.is_null()),
        Some(StatusFilter::ReconnectNeeded) => q.filter(anaf_tokens::status.eq("reconnect_needed")),
        Some(StatusFilter::Expired) => q.filter(
            anaf_tokens::status
                .eq("active")
                .and(anaf_tokens::access_expires_at.le(at)),
        ),
        Some(StatusFilter::NoRights) => q.filter(live.and(anaf_tokens::rights.eq("denied"))),
        Some(StatusFilter::ExpiringSoon) => q.filter(
            anaf_tokens::status
                .eq("active")
                .and(anaf_tokens::access_expires_at.gt(at))
                .and(anaf_tokens::access_expires_at.lt(soon))
                .and(anaf_tokens::rights.ne("denied")),
        ),
        Some(StatusFilter::Connected) => q.filter(
            anaf_tokens::status
                .eq("active")
                .and(anaf_tokens::access_expires_at.ge(soon))
                .and(anaf_tokens::rights.ne("denied")),
        ),
    };
    q
}

/// A company and its token, if any.
pub type CompanyWithToken = (Company, Option<TokenMeta>);

/// A page of companies with their token, soonest-expiring first, and the total count: two
/// queries whatever the page size.
pub fn list(
    conn: &mut DbConnection,
    query: &CompanyQuery,
) -> QueryResult<(Vec<CompanyWithToken>, i64)> {
    let at = now();
    let total: i64 = filtered(query, at).count().get_result(conn)?;
    let rows = filtered(query, at)
        .select((Company::as_select(), Option::<TokenMeta>::as_select()))
        .order((
            anaf_tokens::id.is_null(),
            anaf_tokens::access_expires_at.asc(),
            companies::cif.asc(),
        ))
        .offset(query.offset)
        .limit(query.limit)
        .load(conn)?;
    Ok((rows, total))
}

/// Every company of the user with the user's role and the token, soonest-expiring first, and
/// the user's `listing_version` they correspond to (read first: a change committed between the
/// two reads makes the rows newer than the version, never older, so a cache keyed by it stays
/// safe). Two queries whatever the number of companies.
pub fn listing(conn: &mut DbConnection, user_id: i64) -> QueryResult<(i64, Vec<CompanyRow>)> {
    use crate::db::schema::users;
    let version = users::table
        .find(user_id)
        .select(users::listing_version)
        .get_optional(conn)?
        .ok_or(diesel::result::Error::NotFound)?;
    let rows = companies::table
        .inner_join(company_members::table)
        .left_join(anaf_tokens::table)
        .filter(company_members::user_id.eq(user_id))
        .order((
            anaf_tokens::id.is_null(),
            anaf_tokens::access_expires_at.asc(),
            companies::cif.asc(),
        ))
        .select((
            Company::as_select(),
            company_members::role,
            Option::<TokenMeta>::as_select(),
        ))
        .load::<(Company, String, Option<TokenMeta>)>(conn)?
        .into_iter()
        .map(|(company, role, token)| CompanyRow {
            company,
            role: MemberRole::from_column(&role),
            token,
        })
        .collect();
    Ok((version, rows))
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

/// How many companies are in each status (the support area's counters).
pub fn status_counts(conn: &mut DbConnection) -> QueryResult<Vec<(StatusFilter, i64)>> {
    let query = CompanyQuery::default();
    let tokens: Vec<Option<TokenMeta>> = filtered(&query, now())
        .select(Option::<TokenMeta>::as_select())
        .load(conn)?;
    Ok(StatusFilter::count(
        tokens.iter().map(Option::as_ref),
        now(),
    ))
}

/// The user's tokens (as company admin) whose access token expires before `before`, refreshable.
pub fn refreshable_expiring(
    conn: &mut DbConnection,
    user_id: i64,
    before: NaiveDateTime,
) -> QueryResult<Vec<(i64, i64, String)>> {
    anaf_tokens::table
        .inner_join(companies::table.inner_join(company_members::table))
        .filter(company_members::user_id.eq(user_id))
        .filter(company_members::role.eq(MemberRole::Admin.as_str()))
        .filter(anaf_tokens::status.eq("active"))
        .filter(anaf_tokens::refresh_token_ciphertext.is_not_null())
        .filter(anaf_tokens::access_expires_at.lt(before))
        .select((anaf_tokens::id, companies::id, companies::cif))
        .order(anaf_tokens::access_expires_at.asc())
        .load(conn)
}

/// A company by id, for support staff (no membership needed).
pub fn find(conn: &mut DbConnection, company_id: i64) -> QueryResult<Option<Company>> {
    companies::table
        .find(company_id)
        .select(Company::as_select())
        .get_optional(conn)
}

/// A member of a company, for the members page.
pub struct Member {
    pub user_id: i64,
    pub email: String,
    pub role: MemberRole,
}

pub fn members(conn: &mut DbConnection, company_id: i64) -> QueryResult<Vec<Member>> {
    use crate::db::schema::users;
    Ok(company_members::table
        .inner_join(users::table)
        .filter(company_members::company_id.eq(company_id))
        .order(users::email.asc())
        .select((users::id, users::email, company_members::role))
        .load::<(i64, String, String)>(conn)?
        .into_iter()
        .map(|(user_id, email, role)| Member {
            user_id,
            email,
            role: MemberRole::from_column(&role),
        })
        .collect())
}

#[derive(Debug, thiserror::Error)]
pub enum MembershipError {
    #[error("already a member")]
    AlreadyMember,
    #[error("not a member")]
    NotMember,
    #[error("a company keeps at least one admin")]
    LastAdmin,
    #[error(transparent)]
    Database(#[from] DieselError),
}

pub fn add_member(
    conn: &mut DbConnection,
    company_id: i64,
    user_id: i64,
    role: MemberRole,
) -> Result<(), MembershipError> {
    let inserted = diesel::insert_into(company_members::table)
        .values(NewMember {
            company_id,
            user_id,
            role: role.as_str(),
            created_at: now(),
        })
        .execute(conn);
    match inserted {
        Ok(_) => Ok(()),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            Err(MembershipError::AlreadyMember)
        }
        Err(e) => Err(e.into()),
    }
}

fn admin_count(conn: &mut DbConnection, company_id: i64) -> QueryResult<i64> {
    company_members::table
        .filter(company_members::company_id.eq(company_id))
        .filter(company_members::role.eq(MemberRole::Admin.as_str()))
        .count()
        .get_result(conn)
}

/// Changes a member's role (`Some`) or removes the member (`None`), never leaving the company
/// without an admin.
pub fn change_member(
    conn: &mut DbConnection,
    company_id: i64,
    user_id: i64,
    role: Option<MemberRole>,
) -> Result<(), MembershipError> {
    write_transaction(conn, |conn| {
        let target = company_members::table
            .filter(company_members::company_id.eq(company_id))
            .filter(company_members::user_id.eq(user_id));
        let current: Option<String> = target
            .select(company_members::role)
            .first(conn)
            .optional()?;
        let Some(current) = current else {
            return Err(MembershipError::NotMember);
        };
        let losing_admin = MemberRole::from_column(&current) == MemberRole::Admin
            && role != Some(MemberRole::Admin);
        if losing_admin && admin_count(conn, company_id)? <= 1 {
            return Err(MembershipError::LastAdmin);
        }
        match role {
            Some(role) => {
                diesel::update(target)
                    .set(company_members::role.eq(role.as_str()))
                    .execute(conn)?;
            }
            None => {
                diesel::delete(target).execute(conn)?;
            }
        }
        Ok(())
    })
}
