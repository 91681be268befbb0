//! Company names from ANAF's public registry, in the background. Adding a company only queues its
//! CIF (`company_registry`); every instance that runs the refresh engine also runs this job,
//! which, each tick or when this instance queued something: fills names and addresses from answers
//! it already has (no call), then claims up to 100 due CIFs at a time and asks ANAF about them in
//! one call, at most one call per second across all instances (the service allows about that).
//! A failed call leaves the names empty (and editable) and is tried again later, 1 minute to
//! 6 hours apart. Nothing here is ever on a request's path.

use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta};
use futures_util::future::BoxFuture;
use tokio::sync::{Notify, watch};

use crate::anaf::registry::{MAX_PER_CALL, RegistryClient};
use crate::db::Db;
use crate::db::models::name_lookups;
use crate::db::models::{call_counts, now};
use crate::db::write_transaction;
use crate::domain::Cif;
use crate::domain::backoff::{Backoff, Waits};
use crate::jobs::{Context, Job, Next};

/// A claim runs out after this long (a call takes `ANAF_HTTP_TIMEOUT` at most).
const CLAIM: TimeDelta = TimeDelta::minutes(5);

pub struct NameLookups {
    db: Db,
    client: RegistryClient,
    tick: Duration,
    /// Companies were just added in this instance.
    wake: Arc<Notify>,
}

impl Job for NameLookups {
    fn name(&self) -> &'static str {
        "company name lookups"
    }

    fn interval(&self) -> Duration {
        self.tick
    }

    fn wake(&self) -> Option<Arc<Notify>> {
        Some(self.wake.clone())
    }

    fn run_once<'a>(&'a self, ctx: &'a Context) -> BoxFuture<'a, anyhow::Result<Next>> {
        Box::pin(async move {
            self.work_once(&ctx.stop).await?;
            Ok(Next::Tick)
        })
    }
}

/// When a lookup that failed `attempts` times before is tried again: 1, 2, 4… minutes, at most
/// 6 hours apart. It never gives up: a person typing the name is what takes a CIF off the queue.
fn retry_at(at: NaiveDateTime, attempts: i32) -> NaiveDateTime {
    let backoff = Backoff {
        waits: Waits::Doubling {
            first: TimeDelta::minutes(1),
            max: TimeDelta::hours(6),
        },
        give_up_after: None,
    };
    at + backoff.wait(u32::try_from(attempts).unwrap_or(0) + 1)
}

/// Today in Romania: the date the registry is asked about.
fn romanian_today(at: NaiveDateTime) -> chrono::NaiveDate {
    at.and_utc()
        .with_timezone(&chrono_tz::Europe::Bucharest)
        .date_naive()
}

impl NameLookups {
    pub fn new(db: Db, client: RegistryClient, tick: Duration, wake: Arc<Notify>) -> NameLookups {
        NameLookups {
            db,
            client,
            tick,
            wake,
        }
    }

    /// Fills what known answers can, then asks ANAF about due CIFs, 100 at a time, until none is
    /// due or a call fails (the rest waits for the next round).
    pub async fn work_once(&self, stop: &watch::Receiver<bool>) -> anyhow::Result<()> {
        self.apply().await?;
        while !*stop.borrow() {
            let at = now();
            let claimed = self
                .db
                .run(move |conn| {
                    Ok(name_lookups::claim_due(
                        conn,
                        at,
                        at + CLAIM,
                        MAX_PER_CALL as i64,
                    )?)
                })
                .await?;
            if claimed.is_empty() {
                return Ok(());
            }
            self.wait_for_turn().await?;
            let cifs: Vec<Cif> = claimed
                .iter()
                .filter_map(|c| Cif::parse(&c.cif).ok())
                .collect();
            let result = self.client.look_up(&cifs, romanian_today(now())).await;
            let at = now();
            let failed = result.is_err();
            let (named, missing) = match result {
                Ok(answers) => {
                    let missing = claimed.len() - answers.len().min(claimed.len());
                    self.db
                        .run(move |conn| {
                            for c in claimed {
                                let answer = Cif::parse(&c.cif)
                                    .ok()
                                    .and_then(|cif| answers.get(&cif).cloned());
                                match answer {
                                    Some(answer) => {
                                        name_lookups::record_answer(conn, &c.cif, &answer, at)?;
                                    }
                                    // Left out of ANAF's answer: asked again later.
                                    None => {
                                        name_lookups::record_failure(
                                            conn,
                                            &c.cif,
                                            "not in ANAF's answer",
                                            retry_at(at, c.attempts),
                                        )?;
                                    }
                                }
                            }
                            Ok(())
                        })
                        .await?;
                    (self.apply().await?, missing)
                }
                Err(error) => {
                    tracing::warn!(error = %error, cifs = claimed.len(), "ANAF's registry could not be asked; names stay empty until a later try");
                    let message = error.to_string();
                    self.db
                        .run(move |conn| {
                            for c in claimed {
                                name_lookups::record_failure(
                                    conn,
                                    &c.cif,
                                    &message,
                                    retry_at(at, c.attempts),
                                )?;
                            }
                            Ok(())
                        })
                        .await?;
                    (0, 0)
                }
            };
            tracing::info!(asked = cifs.len(), named, missing, "ANAF's registry asked");
            if failed {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Fills names and addresses from the answers already stored.
    async fn apply(&self) -> anyhow::Result<usize> {
        self.db
            .run(|conn| Ok(name_lookups::apply_answers(conn, now())?))
            .await
    }

    /// Waits until this call is the only one to the registry in any second, portal-wide.
    async fn wait_for_turn(&self) -> anyhow::Result<()> {
        loop {
            let admitted = self
                .db
                .run(move |conn| {
                    Ok(write_transaction(conn, |conn| {
                        call_counts::take_in_windows(conn, now(), &[crate::anaf::budget::REGISTRY])
                    })?)
                })
                .await?;
            let next = match admitted {
                Ok(()) => return Ok(()),
                Err(next) => next,
            };
            let wait = (next - now()).to_std().unwrap_or_default();
            tokio::time::sleep(wait.max(Duration::from_millis(10))).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_lookups_back_off_up_to_six_hours() {
        let at =
            NaiveDateTime::parse_from_str("2026-12-01 05:00", "%Y-%m-%d %H:%M").expect("valid");
        assert_eq!(retry_at(at, 0), at + TimeDelta::minutes(1));
        assert_eq!(retry_at(at, 3), at + TimeDelta::minutes(8));
        assert_eq!(retry_at(at, 40), at + TimeDelta::hours(6));
    }

    #[test]
    fn the_registry_is_asked_about_the_romanian_date() {
        // 23:30 UTC on 30 November is already 1 December in Bucharest (UTC+2).
        let at =
            NaiveDateTime::parse_from_str("2026-11-30 23:30", "%Y-%m-%d %H:%M").expect("valid");
        assert_eq!(romanian_today(at).to_string(), "2026-12-01");
    }
}
