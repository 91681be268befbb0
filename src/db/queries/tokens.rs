//! Read models of tokens: what pages and the API list of them, one query each.

use crate::db::DbConnection;
use crate::db::models::companies::Company;
use crate::db::schema::{anaf_tokens, companies, company_members, company_tokens, token_offers};
use crate::db::timestamp::Stamp;
use crate::domain::{Cif, MemberRole, RefreshSchedule, Rights, TokenFacts, TokenState};

use crate::db::models::tokens::{TokenMeta, window};
use chrono::NaiveDateTime;
use diesel::prelude::*;

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

/// Whether `token_id` is offered to `company_id`.
pub fn is_offered(conn: &mut DbConnection, token_id: i64, company_id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        token_offers::table.find((token_id, company_id)),
    ))
    .get_result(conn)
}
