//! The lifecycle page (support staff and platform admins): where every token stands with the
//! refresh engine, why refreshes fail, how much of the ANAF budget each minute used, and every
//! engine's last and next tick. Read-only, no secret.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::{NaiveDateTime, TimeDelta};

use super::pages::{BudgetMinute, Counted, InstanceRow, LifecyclePage};

use crate::http::auth::SupportStaff;
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::http::web::page::{Page, html};
use crate::i18n::Catalog;
use crate::services::lifecycle::{EngineInstance, Report};

/// Minutes of budget use shown.
const BUDGET_MINUTES: i64 = 15;
/// An engine not heard from for this long (four missed heartbeats, `jobs::HEARTBEAT`)
/// is shown as silent: it may have died, mid-sweep or not.
const LATE: TimeDelta = TimeDelta::minutes(2);

pub async fn show(
    _staff: SupportStaff,
    page: Page,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let Report {
        at,
        summary,
        minutes,
        paused_until: paused,
        instances,
        outbox: (waiting, given_up),
    } = Report::read(&state.db, TimeDelta::minutes(BUDGET_MINUTES)).await?;
    let counted = |prefix: &str, counts: &std::collections::BTreeMap<&'static str, usize>| {
        counts
            .iter()
            .map(|(code, count)| Counted {
                code,
                label: page.t.get(&format!("{prefix}-{code}")),
                count: *count,
            })
            .collect::<Vec<_>>()
    };
    let statuses = counted("filter", &summary.by_status);
    let states = counted("lifecycle-state", &summary.by_refresh_state);
    let limit = state.config.anaf.calls_per_minute;
    let budget = minutes
        .into_iter()
        .rev()
        .map(|(minute, calls)| BudgetMinute {
            minute: minute
                .and_utc()
                .with_timezone(&chrono_tz::Europe::Bucharest)
                .format("%H:%M")
                .to_string(),
            calls,
            percent: u32::try_from(calls).unwrap_or(0).saturating_mul(100) / limit.max(1),
        })
        .collect();
    let instances = instances
        .iter()
        .map(|instance| instance_row(instance, at, &page.t))
        .collect();
    html(
        StatusCode::OK,
        &LifecyclePage {
            summary,
            statuses,
            states,
            budget,
            limit: page
                .t
                .format("lifecycle-budget_limit", &[("limit", limit.into())]),
            paused: paused.map(|until| {
                page.t.format(
                    "lifecycle-paused",
                    &[("until", page.t.local_date_time(until).into())],
                )
            }),
            instances,
            email: match &state.mailer {
                Some(mailer) if mailer.is_simulated() => page.t.get("lifecycle-email_sandbox"),
                Some(_) => page.t.format(
                    "lifecycle-email_state",
                    &[("waiting", waiting.into()), ("failed", given_up.into())],
                ),
                None => page.t.get("lifecycle-email_off"),
            },
            page,
        },
    )
}

fn instance_row(instance: &EngineInstance, at: NaiveDateTime, t: &Catalog) -> InstanceRow {
    let when = |moment: Option<NaiveDateTime>| {
        moment.map_or_else(|| t.get("common-dash"), |at| t.local_date_time(at))
    };
    // Heard from last: the heartbeat (rows from before it existed: the last tick or the start).
    let heard = instance
        .heartbeat_at
        .or(instance.last_tick_at)
        .unwrap_or(instance.started_at);
    let silent = instance.stopped_at.is_none() && heard + LATE < at;
    let state = match instance.stopped_at {
        Some(stopped) => t.format(
            "lifecycle-instance_stopped",
            &[("at", t.local_date_time(stopped).into())],
        ),
        None if silent => t.format(
            "lifecycle-instance_silent",
            &[("at", t.local_date_time(heard).into())],
        ),
        None => t.get("lifecycle-instance_running"),
    };
    InstanceRow {
        host: instance.host.clone(),
        started: t.local_date_time(instance.started_at),
        last_tick: when(instance.last_tick_at),
        next_tick: when(instance.next_tick_at),
        last_sweep: t.format(
            "lifecycle-last_sweep",
            &[
                ("refreshed", instance.last_refreshed.into()),
                ("failed", instance.last_failed.into()),
                ("probed", instance.last_probed.into()),
            ],
        ),
        running: instance.stopped_at.is_none() && !silent,
        state,
    }
}
