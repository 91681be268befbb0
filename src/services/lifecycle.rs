//! Where every token stands with the refresh engine, summed up for the lifecycle page and the
//! metrics: by status, by refresh state, what is due, and why refreshes fail.

use std::collections::BTreeMap;

use chrono::{NaiveDateTime, TimeDelta};

use crate::db::models::tokens::TokenMeta;
use crate::domain::RefreshState;

pub use crate::db::models::engine_instances::EngineInstance;

/// Every refresh state's code, so a count of zero is shown (and exported) too.
pub const REFRESH_STATES: [&str; 6] = [
    "scheduled",
    "refreshing",
    "retrying",
    "failing",
    "reconnect_before",
    "stopped",
];

/// Every token status's code (a stored token is never `not_connected`).
pub const TOKEN_STATUSES: [&str; 5] = [
    "connected",
    "expiring_soon",
    "expired",
    "reconnect_needed",
    "no_rights",
];

/// The summary at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lifecycle {
    pub tokens: usize,
    pub by_status: BTreeMap<&'static str, usize>,
    pub by_refresh_state: BTreeMap<&'static str, usize>,
    /// Scheduled and due now: the engine's backlog.
    pub due_now: usize,
    /// Scheduled and due within the next seven days.
    pub due_this_week: usize,
    /// Retrying and failing tokens by their last error, most frequent first.
    pub causes: Vec<Cause>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    /// `retrying` or `failing`.
    pub state: &'static str,
    pub error: String,
    pub tokens: usize,
}

impl Lifecycle {
    pub fn of(tokens: &[TokenMeta], now: NaiveDateTime) -> Lifecycle {
        let mut summary = Lifecycle {
            tokens: tokens.len(),
            by_status: TOKEN_STATUSES.iter().map(|code| (*code, 0)).collect(),
            by_refresh_state: REFRESH_STATES.iter().map(|code| (*code, 0)).collect(),
            ..Lifecycle::default()
        };
        let week = now + TimeDelta::days(7);
        let mut causes: BTreeMap<(&'static str, String), usize> = BTreeMap::new();
        for token in tokens {
            let facts = token.facts;
            let state = RefreshState::of(&facts, &token.schedule, now);
            *summary
                .by_status
                .entry(facts.status(now).code())
                .or_default() += 1;
            *summary.by_refresh_state.entry(state.code()).or_default() += 1;
            match state {
                RefreshState::Scheduled { due } if due <= now => summary.due_now += 1,
                RefreshState::Scheduled { due } if due <= week => summary.due_this_week += 1,
                RefreshState::Retrying { .. } | RefreshState::Failing { .. } => {
                    let error = token.last_error.clone().unwrap_or_default();
                    *causes.entry((state.code(), error)).or_default() += 1;
                }
                _ => {}
            }
        }
        summary.causes = causes
            .into_iter()
            .map(|((state, error), tokens)| Cause {
                state,
                error,
                tokens,
            })
            .collect();
        summary
            .causes
            .sort_by(|a, b| b.tokens.cmp(&a.tokens).then(a.error.cmp(&b.error)));
        summary
    }

    /// Sets the token gauges of `/metrics` from this summary.
    pub fn set_gauges(&self) {
        for (status, count) in &self.by_status {
            crate::metrics::set_tokens_in_status(status, *count);
        }
        for (state, count) in &self.by_refresh_state {
            crate::metrics::set_tokens_in_refresh_state(state, *count);
        }
        crate::metrics::set_refresh_due(self.due_now);
    }
}

/// The lifecycle page's reading of the database, taken in one pool checkout: where every token
/// stands, the ANAF budget's recent minutes and pause, the engines heard from in the last day and
/// the mail outbox's backlog.
pub struct Report {
    pub at: NaiveDateTime,
    pub summary: Lifecycle,
    /// Calls to ANAF per minute since `since`, newest first.
    pub minutes: Vec<(NaiveDateTime, i32)>,
    pub paused_until: Option<NaiveDateTime>,
    pub instances: Vec<EngineInstance>,
    /// Mails waiting, and mails given up on in the last day.
    pub outbox: (i64, i64),
}

impl Report {
    pub async fn read(db: &crate::db::Db, budget_since: TimeDelta) -> anyhow::Result<Report> {
        use crate::db::models::{anaf_budget, call_counts, engine_instances, mail_outbox, now};
        let at = now();
        let (listed, minutes, paused_until, instances, outbox) = db
            .run(move |conn| {
                Ok((
                    crate::db::queries::tokens::list_all(conn)?,
                    call_counts::per_minute(conn, call_counts::ANAF, at - budget_since)?,
                    anaf_budget::paused_until(conn, at)?,
                    engine_instances::recent(conn, at - TimeDelta::days(1))?,
                    mail_outbox::backlog(conn, TimeDelta::days(1))?,
                ))
            })
            .await?;
        Ok(Report {
            at,
            summary: Lifecycle::of(&listed, at),
            minutes,
            paused_until,
            instances,
            outbox,
        })
    }
}

/// Sets the token gauges of `/metrics` from the database, as every instance reads it.
pub async fn set_token_gauges(db: &crate::db::Db) -> anyhow::Result<()> {
    let listed = db
        .run(|conn| Ok(crate::db::queries::tokens::list_all(conn)?))
        .await?;
    Lifecycle::of(&listed, crate::db::models::now()).set_gauges();
    Ok(())
}
