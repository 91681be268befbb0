//! Read models of tokens: what pages and the API list of them, one query each.

use crate::db::DbConnection;
use crate::db::models::companies::Company;
use crate::db::schema::{anaf_tokens, companies, company_members, company_tokens, token_offers};
use crate::domain::{CompanyId, MemberRole, Rights, TokenId, TokenState, UserId};

use crate::db::models::tokens::TokenMeta;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A token as it serves one of a person's companies, with the person's role there.
#[derive(Debug, Clone, Queryable, Selectable)]
pub struct MemberToken {
    #[diesel(embed)]
    pub token: TokenMeta,
    #[diesel(embed)]
    pub company: Company,
    #[diesel(select_expression = company_members::role)]
    #[diesel(select_expression_type = company_members::role)]
    pub role: MemberRole,
}

/// The tokens serving the companies `user_id` is a member of, one row per company served, with
/// the company's id, CIF and name; by token, oldest first. One query, whatever the number of
/// tokens.
pub fn list_for_member(
    conn: &mut DbConnection,
    user_id: UserId,
    token_id: Option<TokenId>,
) -> QueryResult<Vec<MemberToken>> {
    // Not boxed: a boxed query is prepared again on every call, and this is the API's busiest.
    let served = company_tokens::table
        .inner_join(anaf_tokens::table)
        .inner_join(companies::table.inner_join(company_members::table))
        .filter(company_members::user_id.eq(user_id));
    let order = (anaf_tokens::id.asc(), companies::cif.asc());
    let columns = MemberToken::as_select();
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
    token_ids: &[TokenId],
) -> QueryResult<Vec<HomeCompany>> {
    anaf_tokens::table
        .inner_join(companies::table)
        .filter(anaf_tokens::id.eq_any(token_ids))
        .select(HomeCompany::as_select())
        .load(conn)
}

/// The company a token was first connected for.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = anaf_tokens)]
pub struct HomeCompany {
    #[diesel(column_name = id)]
    pub token_id: TokenId,
    #[diesel(embed)]
    pub company: Company,
}

/// Whether the token exists.
pub fn exists(conn: &mut DbConnection, token_id: TokenId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(anaf_tokens::table.find(token_id))).get_result(conn)
}

/// The companies token `token_id` serves whose company admin `user_id` is.
pub fn served_companies_administered_by(
    conn: &mut DbConnection,
    token_id: TokenId,
    user_id: UserId,
) -> QueryResult<Vec<CompanyId>> {
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

/// The companies of `user_id`'s whose token may need a person at `at` (refused, no rights,
/// failing, expired, or inside a reconnect window), with the company's CIF, name and the user's
/// role there: what `domain::Attention` then sorts. One query; on a healthy portal few rows.
pub fn attention_candidates_for_member(
    conn: &mut DbConnection,
    user_id: UserId,
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
        .select(MemberToken::as_select())
        .load(conn)
}

/// Every token's status facts and refresh schedule, once each, with the rights of the first
/// company it serves (the lifecycle page and the metrics). One query of narrow rows.
pub fn list_all(conn: &mut DbConnection) -> QueryResult<Vec<TokenMeta>> {
    let mut rows: Vec<TokenMeta> = company_tokens::table
        .inner_join(anaf_tokens::table)
        .order((company_tokens::token_id, company_tokens::company_id))
        .select(TokenMeta::as_select())
        .load(conn)?;
    rows.dedup_by_key(|token| token.id);
    Ok(rows)
}

/// A token offered to a company: a certificate whose rights on the company's CIF were confirmed.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = token_offers)]
pub struct Offer {
    pub company_id: CompanyId,
    pub token_id: TokenId,
    #[diesel(select_expression = anaf_tokens::certificate_holder)]
    #[diesel(select_expression_type = anaf_tokens::certificate_holder)]
    pub certificate_holder: Option<String>,
    #[diesel(select_expression = anaf_tokens::certificate_serial)]
    #[diesel(select_expression_type = anaf_tokens::certificate_serial)]
    pub certificate_serial: Option<String>,
    /// When the rights were confirmed.
    pub checked_at: NaiveDateTime,
}

/// The tokens offered to `company_id`, most recently confirmed first.
pub fn offers_for_company(
    conn: &mut DbConnection,
    company_id: CompanyId,
) -> QueryResult<Vec<Offer>> {
    token_offers::table
        .inner_join(anaf_tokens::table)
        .filter(token_offers::company_id.eq(company_id))
        .order(token_offers::checked_at.desc())
        .select(Offer::as_select())
        .load(conn)
}

/// The other companies of `user_id`'s that token `token_id` serves, besides `except`, by CIF.
pub fn also_served_for_member(
    conn: &mut DbConnection,
    token_id: TokenId,
    user_id: UserId,
    except: CompanyId,
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

/// Every offer to one of `user_id`'s companies.
pub fn offers_for_member(conn: &mut DbConnection, user_id: UserId) -> QueryResult<Vec<Offer>> {
    token_offers::table
        .inner_join(anaf_tokens::table)
        .inner_join(
            company_members::table.on(company_members::company_id.eq(token_offers::company_id)),
        )
        .filter(company_members::user_id.eq(user_id))
        .select(Offer::as_select())
        .load(conn)
}

/// An offer to a company its reader administers, beside the token serving the company now.
#[derive(Debug, Clone, Queryable, Selectable)]
pub struct AdministeredOffer {
    #[diesel(embed)]
    pub company: Company,
    #[diesel(select_expression = token_offers::token_id)]
    #[diesel(select_expression_type = token_offers::token_id)]
    pub token_id: TokenId,
    #[diesel(embed)]
    pub serving: Option<TokenMeta>,
}

/// The offers to companies `user_id` administers, each with the token serving the company now
/// (if any), by CIF, at most `limit`: what a person may attach in one go.
pub fn offers_to_administered(
    conn: &mut DbConnection,
    user_id: UserId,
    limit: i64,
) -> QueryResult<Vec<AdministeredOffer>> {
    left_join_serving_token!(
        companies::table
            .inner_join(company_members::table)
            .inner_join(token_offers::table.on(token_offers::company_id.eq(companies::id)))
    )
    .filter(company_members::user_id.eq(user_id))
    .filter(company_members::role.eq(MemberRole::Admin))
    .order((
        companies::cif,
        companies::id,
        token_offers::checked_at.desc(),
    ))
    .limit(limit)
    .select(AdministeredOffer::as_select())
    .load(conn)
}

/// Token `token_id` as it serves one of `user_id`'s companies, that company and the user's role
/// there: `company_id` when given, else the one where the user has the most say (company admin
/// first). `None` when it serves none of them.
pub fn find_for_member(
    conn: &mut DbConnection,
    token_id: TokenId,
    user_id: UserId,
    company_id: Option<CompanyId>,
) -> QueryResult<Option<MemberToken>> {
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
        .select(MemberToken::as_select())
        .first(conn)
        .optional()
}

/// Whether `token_id` is offered to `company_id`.
pub fn is_offered(
    conn: &mut DbConnection,
    token_id: TokenId,
    company_id: CompanyId,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        token_offers::table.find((token_id, company_id)),
    ))
    .get_result(conn)
}
