//! The rights columns of `company_tokens`: the certificate's SPV rights on each served company's
//! CIF, recorded by probes, and the scheduled probes' claims.

use crate::db::models::events::{self, NewEvent};
use crate::db::models::now;
use crate::db::schema::{anaf_tokens, companies, company_tokens};
use crate::db::{DbConnection, write_transaction};
use crate::domain::{Cif, CompanyId, EventKind, Rights, TokenId, TokenState};

use chrono::NaiveDateTime;
use diesel::prelude::*;

/// The companies with this CIF that token `token_id` serves (usually one; each person keeps
/// their own record of a CIF).
fn served_with_cif(
    conn: &mut DbConnection,
    token_id: TokenId,
    cif: &Cif,
) -> QueryResult<Vec<CompanyId>> {
    company_tokens::table
        .inner_join(companies::table)
        .filter(company_tokens::token_id.eq(token_id))
        .filter(companies::cif.eq(cif))
        .select(company_tokens::company_id)
        .load(conn)
}

/// Records a rights verdict (`Granted` or `Denied`) of token `token_id` on `cif`, for each
/// company with that CIF it serves, and when the next probe is due. A company that loses its
/// rights gets `token.rights_lost`.
pub fn record_rights(
    conn: &mut DbConnection,
    token_id: TokenId,
    cif: &Cif,
    rights: Rights,
    detail: Option<&str>,
    next_probe_at: NaiveDateTime,
) -> QueryResult<usize> {
    write_transaction(conn, |conn| {
        let at = now();
        let served = served_with_cif(conn, token_id, cif)?;
        let attachments = || {
            company_tokens::table
                .filter(company_tokens::token_id.eq(token_id))
                .filter(company_tokens::company_id.eq_any(&served))
        };
        let before: Vec<(CompanyId, Rights, Option<NaiveDateTime>)> = attachments()
            .select((
                company_tokens::company_id,
                company_tokens::rights,
                company_tokens::rights_checked_at,
            ))
            .load(conn)?;
        let updated = diesel::update(attachments())
            .set((
                company_tokens::rights.eq(rights),
                company_tokens::rights_detail.eq(detail),
                company_tokens::rights_checked_at.eq(Some(at)),
                company_tokens::rights_probe_due_at.eq(Some(next_probe_at)),
            ))
            .execute(conn)?;
        for (company_id, previous, checked_at) in before {
            if rights != Rights::Denied || previous == Rights::Denied {
                continue;
            }
            // Probes racing on one token read the same verdict before them: one event.
            let mut event = NewEvent::about_token(EventKind::RightsLost, company_id, token_id)
                .cause("no_spv_rights")
                .once(format!(
                    "token.rights_lost:{token_id}:{company_id}:{}",
                    checked_at.map_or(0, |c| c.and_utc().timestamp_micros())
                ));
            if let Some(detail) = detail {
                event = event.detail(detail);
            }
            events::record(conn, event)?;
        }
        Ok(updated)
    })
}

/// Records a probe of `cif` that could not tell: the verdict before it stands (its reason is
/// kept only while none is known), and the next probe is due at `next_probe_at`.
pub fn record_rights_unknown(
    conn: &mut DbConnection,
    token_id: TokenId,
    cif: &Cif,
    detail: &str,
    next_probe_at: NaiveDateTime,
) -> QueryResult<usize> {
    use diesel::dsl::case_when;
    let served = served_with_cif(conn, token_id, cif)?;
    diesel::update(
        company_tokens::table
            .filter(company_tokens::token_id.eq(token_id))
            .filter(company_tokens::company_id.eq_any(&served)),
    )
    .set((
        company_tokens::rights_detail.eq(case_when(
            company_tokens::rights.eq(Rights::Unknown),
            Some(detail),
        )
        .otherwise(company_tokens::rights_detail)),
        company_tokens::rights_probe_due_at.eq(Some(next_probe_at)),
    ))
    .execute(conn)
}

/// Claims up to `limit` (token, CIF) pairs whose scheduled rights probe is due: the token is
/// active, its access token works, and no refresh holds it (a refresh probes by itself). A claim
/// moves the due time to `until`, so no other instance takes it meanwhile and a probe that never
/// ends is tried again then.
pub fn claim_probes(
    conn: &mut DbConnection,
    at: NaiveDateTime,
    until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<(i64, Cif)>> {
    write_transaction(conn, |conn| {
        let due = company_tokens::table
            .inner_join(anaf_tokens::table)
            .filter(anaf_tokens::status.eq(TokenState::Active))
            .filter(
                company_tokens::rights_probe_due_at
                    .is_null()
                    .or(company_tokens::rights_probe_due_at.le(at)),
            )
            .filter(anaf_tokens::access_expires_at.gt(until))
            .filter(
                anaf_tokens::refreshing_until
                    .is_null()
                    .or(anaf_tokens::refreshing_until.lt(at)),
            )
            .order(company_tokens::company_id)
            .limit(limit)
            .select(company_tokens::company_id);
        let company_ids: Vec<CompanyId> = match conn {
            DbConnection::Postgres(pg) => due.for_update().skip_locked().load(pg)?,
            DbConnection::Sqlite(_) => due.load(conn)?,
        };
        let claimed = company_tokens::table
            .filter(company_tokens::company_id.eq_any(&company_ids))
            .inner_join(companies::table);
        diesel::update(
            company_tokens::table.filter(company_tokens::company_id.eq_any(&company_ids)),
        )
        .set(company_tokens::rights_probe_due_at.eq(Some(until)))
        .execute(conn)?;
        let mut pairs: Vec<(i64, Cif)> = claimed
            .select((company_tokens::token_id, companies::cif))
            .load(conn)?;
        pairs.sort();
        pairs.dedup();
        Ok(pairs)
    })
}
