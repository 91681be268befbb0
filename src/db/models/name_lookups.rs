//! `name_lookups`, over the `company_registry` table: what ANAF's public registry said about each
//! CIF, shared by every record of that CIF and every instance, and the queue of lookups. A CIF is
//! asked about when it is due, unclaimed, without an answer younger than `FRESH_FOR`, and some
//! record of it still lacks a name or an address. Answers fill a company's name only where it is
//! empty (a typed name is never overwritten) and its address where there is none.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use crate::db::models::audit;
use crate::db::schema::{companies, company_registry};
use crate::db::{DbConnection, write_transaction};
use crate::domain::RegistryAnswer;
use crate::domain::{Actor, AuditAction, AuditEvent, Cif, CompanyId};

/// An answer is reused this long without asking ANAF again (names change rarely).
pub const FRESH_FOR: TimeDelta = TimeDelta::days(30);

/// Queues a lookup of each CIF that has no row yet (a CIF already known keeps its answer and its
/// schedule).
pub fn enqueue(conn: &mut DbConnection, cifs: &[Cif], at: NaiveDateTime) -> QueryResult<usize> {
    let mut queued = 0;
    for cif in cifs {
        let row = diesel::insert_into(company_registry::table).values((
            company_registry::cif.eq(cif.as_str()),
            company_registry::next_attempt_at.eq(at),
            company_registry::attempts.eq(0),
        ));
        queued += match conn {
            DbConnection::Postgres(pg) => row.on_conflict_do_nothing().execute(pg)?,
            DbConnection::Sqlite(sqlite) => row.on_conflict_do_nothing().execute(sqlite)?,
        };
    }
    Ok(queued)
}

/// A CIF claimed for a lookup, with its failures so far (for the backoff).
#[derive(Debug, Clone, Queryable)]
pub struct Claimed {
    pub cif: String,
    pub attempts: i32,
}

/// The CIFs of records that still lack a name or an address.
macro_rules! wanting_cifs {
    () => {
        companies::table
            .filter(
                companies::name
                    .is_null()
                    .or(companies::name.eq(""))
                    .or(companies::address.is_null()),
            )
            .select(companies::cif)
    };
}

/// Claims up to `limit` CIFs to ask ANAF about, until `until`; no other instance asks about them
/// meanwhile.
pub fn claim_due(
    conn: &mut DbConnection,
    at: NaiveDateTime,
    until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<Claimed>> {
    write_transaction(conn, |conn| {
        let due = company_registry::table
            .filter(company_registry::next_attempt_at.le(at))
            .filter(
                company_registry::looked_up_at
                    .is_null()
                    .or(company_registry::looked_up_at.lt(at - FRESH_FOR)),
            )
            .filter(
                company_registry::claimed_until
                    .is_null()
                    .or(company_registry::claimed_until.lt(at)),
            )
            .filter(company_registry::cif.eq_any(wanting_cifs!()))
            .order(company_registry::next_attempt_at)
            .limit(limit)
            .select((company_registry::cif, company_registry::attempts));
        let claimed: Vec<Claimed> = match conn {
            DbConnection::Postgres(pg) => due.for_update().skip_locked().load(pg)?,
            DbConnection::Sqlite(_) => due.load(conn)?,
        };
        let cifs: Vec<&str> = claimed.iter().map(|c| c.cif.as_str()).collect();
        diesel::update(company_registry::table.filter(company_registry::cif.eq_any(&cifs)))
            .set(company_registry::claimed_until.eq(Some(until)))
            .execute(conn)?;
        Ok(claimed)
    })
}

/// Stores ANAF's answer about `cif` and releases its claim.
pub fn record_answer(
    conn: &mut DbConnection,
    cif: &str,
    answer: &RegistryAnswer,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    let (found, name, address) = match answer {
        RegistryAnswer::Found { name, address } => {
            (true, Some(name.as_str()), Some(address.as_str()))
        }
        RegistryAnswer::NotFound => (false, None, None),
    };
    diesel::update(company_registry::table.find(cif))
        .set((
            company_registry::found.eq(Some(found)),
            company_registry::name.eq(name),
            company_registry::address.eq(address),
            company_registry::looked_up_at.eq(Some(at)),
            company_registry::next_attempt_at.eq(at + FRESH_FOR),
            company_registry::attempts.eq(0),
            company_registry::last_error.eq(None::<String>),
            company_registry::claimed_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
}

/// Records a failed lookup of `cif`: asked again at `next`; its earlier answer (if any) is kept.
pub fn record_failure(
    conn: &mut DbConnection,
    cif: &str,
    error: &str,
    next: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(company_registry::table.find(cif))
        .set((
            company_registry::attempts.eq(company_registry::attempts + 1),
            company_registry::last_error.eq(Some(error)),
            company_registry::next_attempt_at.eq(next),
            company_registry::claimed_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
}

/// Fills, from answers younger than `FRESH_FOR`, the name of every record of a found CIF whose
/// name is empty and the address of every record without one; each name filled is audited on
/// its company. Returns how many records got a name.
pub fn apply_answers(conn: &mut DbConnection, at: NaiveDateTime) -> QueryResult<usize> {
    let answers: Vec<(String, Option<String>, Option<String>)> = company_registry::table
        .filter(company_registry::found.eq(Some(true)))
        .filter(company_registry::looked_up_at.ge(at - FRESH_FOR))
        .filter(company_registry::cif.eq_any(wanting_cifs!()))
        .select((
            company_registry::cif,
            company_registry::name,
            company_registry::address,
        ))
        .load(conn)?;
    let mut named = 0;
    for (cif, name, address) in answers {
        let name = name.filter(|n| !n.trim().is_empty());
        named += write_transaction(conn, |conn| {
            let unnamed = companies::table
                .filter(companies::cif.eq(&cif))
                .filter(companies::name.is_null().or(companies::name.eq("")));
            let mut filled = 0;
            if let Some(name) = &name {
                let ids: Vec<CompanyId> = unnamed.select(companies::id).load(conn)?;
                // The condition again in the UPDATE: a name typed meanwhile stays.
                filled = diesel::update(unnamed.filter(companies::id.eq_any(&ids)))
                    .set(companies::name.eq(name))
                    .execute(conn)?;
                for id in ids {
                    audit::record(
                        conn,
                        &Actor::system(),
                        &AuditEvent::success(AuditAction::CompanyNameFromRegistry)
                            .company(id)
                            .detail(name.clone()),
                    )?;
                }
            }
            diesel::update(
                companies::table
                    .filter(companies::cif.eq(&cif))
                    .filter(companies::address.is_null()),
            )
            .set(companies::address.eq(address.as_deref().unwrap_or_default()))
            .execute(conn)?;
            Ok::<_, diesel::result::Error>(filled)
        })?;
    }
    Ok(named)
}

/// Where a CIF's lookup stands (the company page says so while the name is empty).
#[derive(Debug, Clone, Queryable)]
pub struct LookupState {
    pub found: Option<bool>,
    pub looked_up_at: Option<NaiveDateTime>,
    pub next_attempt_at: NaiveDateTime,
    pub attempts: i32,
    pub last_error: Option<String>,
}

pub fn state_of(conn: &mut DbConnection, cif: &Cif) -> QueryResult<Option<LookupState>> {
    use crate::db::models::KeyLookup;
    company_registry::table
        .find(cif.as_str())
        .select((
            company_registry::found,
            company_registry::looked_up_at,
            company_registry::next_attempt_at,
            company_registry::attempts,
            company_registry::last_error,
        ))
        .get_optional(conn)
}
