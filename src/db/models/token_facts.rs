//! `TokenFacts` and `RefreshSchedule` as selections, so every read model of a token embeds the
//! same columns (`#[diesel(embed)]`, or `TokenFacts::as_select()` on its own) instead of each
//! spelling them and converting by hand. The domain types stay free of the schema; the impls
//! live here, with the tables.
//!
//! `TokenFacts` needs `company_tokens` joined: the rights are the certificate's on the CIF of
//! the company the row is read for.

use chrono::NaiveDateTime;
use diesel::backend::Backend;
use diesel::deserialize::{self, FromStaticSqlRow, Queryable};
use diesel::prelude::*;

use crate::db::models::tokens::window;
use crate::db::schema::{anaf_tokens, company_tokens};
use crate::domain::{RefreshSchedule, Rights, TokenFacts, TokenState};

type FactsColumns = (
    anaf_tokens::status,
    company_tokens::rights,
    anaf_tokens::access_expires_at,
    anaf_tokens::refresh_due_at,
    anaf_tokens::has_refresh_token,
    anaf_tokens::refresh_expires_at,
    anaf_tokens::reconnect_from,
    anaf_tokens::reconnect_by,
);

type FactsRow = (
    TokenState,
    Rights,
    NaiveDateTime,
    NaiveDateTime,
    bool,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
);

impl<DB: Backend> Selectable<DB> for TokenFacts {
    type SelectExpression = FactsColumns;

    fn construct_selection() -> FactsColumns {
        (
            anaf_tokens::status,
            company_tokens::rights,
            anaf_tokens::access_expires_at,
            anaf_tokens::refresh_due_at,
            anaf_tokens::has_refresh_token,
            anaf_tokens::refresh_expires_at,
            anaf_tokens::reconnect_from,
            anaf_tokens::reconnect_by,
        )
    }
}

impl<ST, DB: Backend> Queryable<ST, DB> for TokenFacts
where
    FactsRow: FromStaticSqlRow<ST, DB>,
{
    type Row = FactsRow;

    fn build(row: FactsRow) -> deserialize::Result<TokenFacts> {
        let (
            state,
            rights,
            access_expires_at,
            refresh_due_at,
            has_refresh_token,
            refresh_expires_at,
            reconnect_from,
            reconnect_by,
        ) = row;
        Ok(TokenFacts {
            state,
            rights,
            access_expires_at,
            refresh_due_at,
            has_refresh_token,
            refresh_expires_at,
            reconnect: window(reconnect_from, reconnect_by),
        })
    }
}

type ScheduleColumns = (
    anaf_tokens::refreshing_until,
    anaf_tokens::next_attempt_at,
    anaf_tokens::failing_since,
    anaf_tokens::refresh_failing,
);

type ScheduleRow = (
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    bool,
);

impl<DB: Backend> Selectable<DB> for RefreshSchedule {
    type SelectExpression = ScheduleColumns;

    fn construct_selection() -> ScheduleColumns {
        (
            anaf_tokens::refreshing_until,
            anaf_tokens::next_attempt_at,
            anaf_tokens::failing_since,
            anaf_tokens::refresh_failing,
        )
    }
}

impl<ST, DB: Backend> Queryable<ST, DB> for RefreshSchedule
where
    ScheduleRow: FromStaticSqlRow<ST, DB>,
{
    type Row = ScheduleRow;

    fn build(row: ScheduleRow) -> deserialize::Result<RefreshSchedule> {
        let (refreshing_until, next_attempt_at, failing_since, failing) = row;
        Ok(RefreshSchedule {
            refreshing_until,
            next_attempt_at,
            failing_since,
            failing,
        })
    }
}
