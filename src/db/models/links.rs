//! `authorization_links`, `authorization_link_companies` and `link_transactions`: single-use links
//! through which a certificate holder without an account connects ANAF for a company admin's
//! companies, and the Connect ANAF transactions started from them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::models::companies::Company;
use crate::db::schema::{
    authorization_link_companies, authorization_links, companies, link_transactions, users,
};
use crate::db::{DbConnection, write_transaction};
use crate::domain::{CompanyId, LinkId, UserId};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = authorization_links)]
pub struct Link {
    pub id: LinkId,
    pub created_by: UserId,
    pub note: Option<String>,
    pub sent_to: Option<String>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub opened_at: Option<NaiveDateTime>,
    pub attempted_at: Option<NaiveDateTime>,
    pub completed_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    pub busy_until: Option<NaiveDateTime>,
}

/// Where a link stands, at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    Created,
    Opened,
    Completed,
    Expired,
    Revoked,
}

impl LinkState {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkState::Created => "created",
            LinkState::Opened => "opened",
            LinkState::Completed => "completed",
            LinkState::Expired => "expired",
            LinkState::Revoked => "revoked",
        }
    }

    /// Still waiting for the holder.
    pub fn is_pending(self) -> bool {
        matches!(self, LinkState::Created | LinkState::Opened)
    }
}

impl Link {
    /// Revoked and completed outrank expiry: they say what ended the link.
    pub fn state(&self, at: NaiveDateTime) -> LinkState {
        if self.revoked_at.is_some() {
            LinkState::Revoked
        } else if self.completed_at.is_some() {
            LinkState::Completed
        } else if self.expires_at <= at {
            LinkState::Expired
        } else if self.opened_at.is_some() {
            LinkState::Opened
        } else {
            LinkState::Created
        }
    }
}

/// What the last connection through a link found for one company.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompanyOutcome {
    /// The certificate has SPV rights for the CIF; the token serves the company.
    Covered,
    NoRights,
    /// ANAF could not say.
    Unknown,
}

impl CompanyOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            CompanyOutcome::Covered => "covered",
            CompanyOutcome::NoRights => "no_rights",
            CompanyOutcome::Unknown => "unknown",
        }
    }

    fn parse(raw: &str) -> Option<CompanyOutcome> {
        match raw {
            "covered" => Some(CompanyOutcome::Covered),
            "no_rights" => Some(CompanyOutcome::NoRights),
            "unknown" => Some(CompanyOutcome::Unknown),
            _ => None,
        }
    }
}

/// One company of a link, with the last outcome found for it (none before any connection).
#[derive(Debug, Clone)]
pub struct LinkCompany {
    pub company: Company,
    pub outcome: Option<CompanyOutcome>,
    /// ANAF's words, when it did not confirm rights.
    pub detail: Option<String>,
}

/// Creates a link for `company_ids`, all in one transaction; its id.
#[allow(clippy::too_many_arguments)]
pub fn create(
    conn: &mut DbConnection,
    secret_hash: &str,
    created_by: UserId,
    company_ids: &[CompanyId],
    note: Option<&str>,
    sent_to: Option<&str>,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> QueryResult<LinkId> {
    write_transaction(conn, |conn| {
        let id: LinkId = diesel::insert_into(authorization_links::table)
            .values((
                authorization_links::secret_hash.eq(secret_hash),
                authorization_links::created_by.eq(created_by),
                authorization_links::note.eq(note),
                authorization_links::sent_to.eq(sent_to),
                authorization_links::created_at.eq(created_at),
                authorization_links::expires_at.eq(expires_at),
            ))
            .returning(authorization_links::id)
            .get_result(conn)?;
        for company_id in company_ids {
            diesel::insert_into(authorization_link_companies::table)
                .values((
                    authorization_link_companies::link_id.eq(id),
                    authorization_link_companies::company_id.eq(*company_id),
                ))
                .execute(conn)?;
        }
        Ok(id)
    })
}

/// How many of the user's links still wait for their holder (not used, revoked nor expired).
pub fn count_active(
    conn: &mut DbConnection,
    user_id: UserId,
    at: NaiveDateTime,
) -> QueryResult<i64> {
    authorization_links::table
        .filter(authorization_links::created_by.eq(user_id))
        .filter(authorization_links::completed_at.is_null())
        .filter(authorization_links::revoked_at.is_null())
        .filter(authorization_links::expires_at.gt(at))
        .count()
        .get_result(conn)
}

/// Who created a link, as far as its holder's pages need to know.
#[derive(Debug, Clone, Queryable)]
pub struct LinkCreator {
    pub email: String,
    /// The creator's account is disabled: their links no longer work.
    pub disabled_at: Option<NaiveDateTime>,
}

/// The link with this secret hash, and its creator.
pub fn find_by_secret(
    conn: &mut DbConnection,
    secret_hash: &str,
) -> QueryResult<Option<(Link, LinkCreator)>> {
    authorization_links::table
        .inner_join(users::table)
        .filter(authorization_links::secret_hash.eq(secret_hash))
        .select((Link::as_select(), (users::email, users::disabled_at)))
        .first(conn)
        .optional()
}

/// The link with this id and its creator.
pub fn find(conn: &mut DbConnection, id: LinkId) -> QueryResult<Option<(Link, LinkCreator)>> {
    authorization_links::table
        .inner_join(users::table)
        .filter(authorization_links::id.eq(id))
        .select((Link::as_select(), (users::email, users::disabled_at)))
        .first(conn)
        .optional()
}

/// One page of the user's links, newest first, and how many there are.
pub fn list_for_creator(
    conn: &mut DbConnection,
    user_id: UserId,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<Link>, i64)> {
    let mine = || authorization_links::table.filter(authorization_links::created_by.eq(user_id));
    let total = mine().count().get_result(conn)?;
    let links = mine()
        .order(authorization_links::id.desc())
        .limit(limit)
        .offset(offset)
        .select(Link::as_select())
        .load(conn)?;
    Ok((links, total))
}

/// The companies of a link, by CIF, with their last outcome.
pub fn companies_of(conn: &mut DbConnection, link_id: LinkId) -> QueryResult<Vec<LinkCompany>> {
    let rows: Vec<(Company, Option<String>, Option<String>)> = authorization_link_companies::table
        .inner_join(companies::table)
        .filter(authorization_link_companies::link_id.eq(link_id))
        .order(companies::cif.asc())
        .select((
            Company::as_select(),
            authorization_link_companies::outcome,
            authorization_link_companies::outcome_detail,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(company, outcome, detail)| LinkCompany {
            company,
            outcome: outcome.as_deref().and_then(CompanyOutcome::parse),
            detail,
        })
        .collect())
}

/// Marks the link opened (the holder's page was viewed); true the first time only.
pub fn mark_opened(conn: &mut DbConnection, id: LinkId, at: NaiveDateTime) -> QueryResult<bool> {
    let updated = diesel::update(
        authorization_links::table
            .find(id)
            .filter(authorization_links::opened_at.is_null()),
    )
    .set(authorization_links::opened_at.eq(Some(at)))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Revokes the creator's link while it is pending; false when it is not theirs or not pending.
pub fn revoke(
    conn: &mut DbConnection,
    id: LinkId,
    created_by: UserId,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(
        authorization_links::table
            .find(id)
            .filter(authorization_links::created_by.eq(created_by))
            .filter(authorization_links::completed_at.is_null())
            .filter(authorization_links::revoked_at.is_null())
            .filter(authorization_links::expires_at.gt(at)),
    )
    .set(authorization_links::revoked_at.eq(Some(at)))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Takes the link for one callback until `until`; false when another holds it.
pub fn take(
    conn: &mut DbConnection,
    id: LinkId,
    at: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(
        authorization_links::table.find(id).filter(
            authorization_links::busy_until
                .is_null()
                .or(authorization_links::busy_until.le(at)),
        ),
    )
    .set(authorization_links::busy_until.eq(Some(until)))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Records what a connection found for each company, and frees the link; `completed` consumes it.
pub fn record_outcome(
    conn: &mut DbConnection,
    id: LinkId,
    outcomes: &[(CompanyId, CompanyOutcome, Option<String>)],
    completed: bool,
    at: NaiveDateTime,
) -> QueryResult<()> {
    write_transaction(conn, |conn| {
        for (company_id, outcome, detail) in outcomes {
            diesel::update(authorization_link_companies::table.find((id, *company_id)))
                .set((
                    authorization_link_companies::outcome.eq(Some(outcome.as_str())),
                    authorization_link_companies::outcome_detail.eq(detail.as_deref()),
                ))
                .execute(conn)?;
        }
        diesel::update(authorization_links::table.find(id))
            .set((
                authorization_links::attempted_at.eq(Some(at)),
                authorization_links::completed_at.eq(completed.then_some(at)),
                authorization_links::busy_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// Frees a link taken by a callback that ended without an answer to record.
pub fn release(conn: &mut DbConnection, id: LinkId) -> QueryResult<usize> {
    diesel::update(authorization_links::table.find(id))
        .set(authorization_links::busy_until.eq(None::<NaiveDateTime>))
        .execute(conn)
}

#[derive(Insertable)]
#[diesel(table_name = link_transactions)]
pub struct NewLinkTransaction<'a> {
    pub state_hash: &'a str,
    pub link_id: LinkId,
    pub browser_binding: &'a str,
    /// The PKCE verifier's seed, useless without the state (`secrets::pkce_verifier`).
    pub pkce_verifier: Option<&'a str>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = link_transactions)]
pub struct LinkTransaction {
    pub state_hash: String,
    pub link_id: LinkId,
    pub browser_binding: String,
    /// The PKCE verifier's seed, useless without the state (`secrets::pkce_verifier`).
    pub pkce_verifier: Option<String>,
    pub expires_at: NaiveDateTime,
    pub consumed_at: Option<NaiveDateTime>,
}

pub fn insert_transaction(
    conn: &mut DbConnection,
    tx: &NewLinkTransaction<'_>,
) -> QueryResult<usize> {
    diesel::insert_into(link_transactions::table)
        .values(tx)
        .execute(conn)
}

pub fn find_transaction(
    conn: &mut DbConnection,
    state_hash: &str,
) -> QueryResult<Option<LinkTransaction>> {
    link_transactions::table
        .find(state_hash)
        .select(LinkTransaction::as_select())
        .first(conn)
        .optional()
}

/// Marks the transaction used; false when another request consumed it first.
pub fn consume_transaction(
    conn: &mut DbConnection,
    state_hash: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(
        link_transactions::table
            .find(state_hash)
            .filter(link_transactions::consumed_at.is_null()),
    )
    .set(link_transactions::consumed_at.eq(Some(at)))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Forgets transactions that ended before `before` (kept a day to tell "reused" from "unknown").
pub fn delete_transactions_older_than(
    conn: &mut DbConnection,
    before: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(link_transactions::table.filter(link_transactions::expires_at.lt(before)))
        .execute(conn)
}
