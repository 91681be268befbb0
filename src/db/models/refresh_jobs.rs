//! "Refresh all that are due" jobs and their items, worked through by the refresh engine.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::dialect::load_skip_locked;
use crate::db::models::companies::Company;
use crate::db::models::{now, tokens};
use crate::db::schema::{anaf_tokens, companies, refresh_job_items, refresh_jobs};
use crate::db::{DbConnection, write_transaction};
use crate::domain::{RefreshJobId, TokenId, TokenState, UserId};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = refresh_jobs)]
pub struct RefreshJob {
    pub id: RefreshJobId,
    pub user_id: UserId,
    pub total: i32,
    pub succeeded: i32,
    pub failed: i32,
    pub created_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(table_name = refresh_jobs)]
struct NewJob {
    user_id: UserId,
    total: i32,
    succeeded: i32,
    failed: i32,
    created_at: NaiveDateTime,
}

/// A job over `token_ids`, each an item the refresh engine will claim. Its id.
pub fn create(conn: &mut DbConnection, user_id: UserId, token_ids: &[i64]) -> QueryResult<i64> {
    write_transaction(conn, |conn| {
        let at = now();
        let job_id: i64 = diesel::insert_into(refresh_jobs::table)
            .values(NewJob {
                user_id,
                total: i32::try_from(token_ids.len()).unwrap_or(i32::MAX),
                succeeded: 0,
                failed: 0,
                created_at: at,
            })
            .returning(refresh_jobs::id)
            .get_result(conn)?;
        if token_ids.is_empty() {
            diesel::update(refresh_jobs::table.find(job_id))
                .set(refresh_jobs::finished_at.eq(Some(at)))
                .execute(conn)?;
        }
        // One statement per item: the two backends share no multi-row INSERT through Diesel's
        // MultiConnection; inside one transaction this stays fast.
        for token_id in token_ids {
            diesel::insert_into(refresh_job_items::table)
                .values((
                    refresh_job_items::job_id.eq(job_id),
                    refresh_job_items::token_id.eq(*token_id),
                ))
                .execute(conn)?;
        }
        Ok(job_id)
    })
}

/// How a job's item ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemOutcome {
    Refreshed,
    Failed,
    /// Nothing to do: the token is gone or cannot be refreshed.
    Skipped,
}

impl ItemOutcome {
    fn as_str(self) -> &'static str {
        match self {
            ItemOutcome::Refreshed => "refreshed",
            ItemOutcome::Failed => "failed",
            ItemOutcome::Skipped => "skipped",
        }
    }
}

/// Takes up to `limit` waiting items whose token's refresh lease this caller can take (until
/// `until`), oldest job first, as (job id, token id). On the way, items that need no ANAF call
/// are finished: a token gone or not refreshable is skipped, and one refreshed since its job
/// started (by a person, another job or the engine's sweep) counts as refreshed. Items whose
/// token another refresh holds wait for a later claim.
pub fn claim_items(
    conn: &mut DbConnection,
    at: NaiveDateTime,
    until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<(RefreshJobId, TokenId)>> {
    write_transaction(conn, |conn| {
        let waiting = refresh_job_items::table
            .inner_join(refresh_jobs::table)
            .filter(refresh_job_items::outcome.is_null())
            .order((refresh_job_items::job_id, refresh_job_items::token_id))
            .limit(limit * 4)
            .select((
                refresh_job_items::job_id,
                refresh_job_items::token_id,
                refresh_jobs::created_at,
            ));
        let rows: Vec<(RefreshJobId, TokenId, NaiveDateTime)> = load_skip_locked!(conn, waiting)?;
        let mut claimed = Vec::new();
        for (job_id, token_id, started) in rows {
            if claimed.len() >= usize::try_from(limit).unwrap_or(0) {
                break;
            }
            let token: Option<(TokenState, bool, Option<NaiveDateTime>)> = anaf_tokens::table
                .find(token_id)
                .select((
                    anaf_tokens::status,
                    anaf_tokens::has_refresh_token,
                    anaf_tokens::last_refreshed_at,
                ))
                .first(conn)
                .optional()?;
            match token {
                None | Some((TokenState::ReconnectNeeded, _, _)) | Some((_, false, _)) => {
                    finish_item(conn, job_id, token_id, ItemOutcome::Skipped, None)?;
                }
                Some((_, _, Some(refreshed))) if refreshed > started => {
                    finish_item(conn, job_id, token_id, ItemOutcome::Refreshed, None)?;
                }
                Some(_) => {
                    if tokens::take_lease(conn, token_id, at, until)? {
                        claimed.push((job_id, token_id));
                    }
                }
            }
        }
        Ok(claimed)
    })
}

/// Records how an item ended (and why it failed), counts it in its job, and ends the job with
/// its last item.
pub fn finish_item(
    conn: &mut DbConnection,
    job_id: RefreshJobId,
    token_id: TokenId,
    outcome: ItemOutcome,
    reason: Option<&str>,
) -> QueryResult<()> {
    write_transaction(conn, |conn| {
        let finished = diesel::update(
            refresh_job_items::table
                .find((job_id, token_id))
                .filter(refresh_job_items::outcome.is_null()),
        )
        .set((
            refresh_job_items::outcome.eq(Some(outcome.as_str())),
            refresh_job_items::reason.eq(reason),
        ))
        .execute(conn)?;
        if finished == 0 {
            return Ok(());
        }
        let job = refresh_jobs::table.find(job_id);
        match outcome {
            ItemOutcome::Refreshed => diesel::update(job)
                .set(refresh_jobs::succeeded.eq(refresh_jobs::succeeded + 1))
                .execute(conn)?,
            ItemOutcome::Failed | ItemOutcome::Skipped => diesel::update(job)
                .set(refresh_jobs::failed.eq(refresh_jobs::failed + 1))
                .execute(conn)?,
        };
        let waiting: i64 = refresh_job_items::table
            .filter(refresh_job_items::job_id.eq(job_id))
            .filter(refresh_job_items::outcome.is_null())
            .count()
            .get_result(conn)?;
        if waiting == 0 {
            diesel::update(job)
                .set(refresh_jobs::finished_at.eq(Some(now())))
                .execute(conn)?;
        }
        Ok(())
    })
}

/// The user's job, when it is theirs.
pub fn find_for_user(
    conn: &mut DbConnection,
    id: RefreshJobId,
    user_id: UserId,
) -> QueryResult<Option<RefreshJob>> {
    refresh_jobs::table
        .find(id)
        .filter(refresh_jobs::user_id.eq(user_id))
        .select(RefreshJob::as_select())
        .first(conn)
        .optional()
}

/// The companies whose refresh failed in the job, with why (the item's reason, else the error
/// their token shows), by CIF.
pub fn failures(
    conn: &mut DbConnection,
    job_id: RefreshJobId,
) -> QueryResult<Vec<(Company, Option<String>)>> {
    let rows: Vec<(Company, Option<String>, Option<String>)> = refresh_job_items::table
        .inner_join(anaf_tokens::table.on(anaf_tokens::id.eq(refresh_job_items::token_id)))
        .inner_join(companies::table.on(companies::id.eq(anaf_tokens::company_id)))
        .filter(refresh_job_items::job_id.eq(job_id))
        .filter(refresh_job_items::outcome.eq(ItemOutcome::Failed.as_str()))
        .order(companies::cif.asc())
        .select((
            Company::as_select(),
            refresh_job_items::reason,
            anaf_tokens::last_error,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(company, reason, last_error)| (company, reason.or(last_error)))
        .collect())
}
