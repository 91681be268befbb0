use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::models::now;
use crate::db::schema::audit_events;

/// Who acted, from where: captured from the request by the handler.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
}

/// One audited action; `detail` must never hold a secret.
pub struct Event<'a> {
    pub action: &'a str,
    pub company_id: Option<i64>,
    pub token_id: Option<i64>,
    pub outcome: Outcome,
    pub detail: Option<&'a str>,
}

#[derive(Insertable)]
#[diesel(table_name = audit_events)]
struct NewAuditEvent<'a> {
    at: NaiveDateTime,
    actor_user_id: Option<i64>,
    action: &'a str,
    company_id: Option<i64>,
    token_id: Option<i64>,
    outcome: &'a str,
    ip: Option<&'a str>,
    user_agent: Option<&'a str>,
    detail: Option<&'a str>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
pub struct AuditEvent {
    pub id: i64,
    pub at: NaiveDateTime,
    pub actor_user_id: Option<i64>,
    pub action: String,
    pub company_id: Option<i64>,
    pub token_id: Option<i64>,
    pub outcome: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub detail: Option<String>,
}

pub fn record(conn: &mut DbConnection, actor: &Actor, event: &Event<'_>) -> QueryResult<usize> {
    let user_agent: Option<String> = actor
        .user_agent
        .as_deref()
        .map(|ua| ua.chars().take(300).collect());
    diesel::insert_into(audit_events::table)
        .values(NewAuditEvent {
            at: now(),
            actor_user_id: actor.user_id,
            action: event.action,
            company_id: event.company_id,
            token_id: event.token_id,
            outcome: match event.outcome {
                Outcome::Success => "success",
                Outcome::Failure => "failure",
            },
            ip: actor.ip.as_deref(),
            user_agent: user_agent.as_deref(),
            detail: event.detail,
        })
        .execute(conn)
}

/// A company's events, newest first.
pub fn for_company(
    conn: &mut DbConnection,
    company_id: i64,
    limit: i64,
) -> QueryResult<Vec<AuditEvent>> {
    audit_events::table
        .filter(audit_events::company_id.eq(company_id))
        .order((audit_events::at.desc(), audit_events::id.desc()))
        .limit(limit)
        .select(AuditEvent::as_select())
        .load(conn)
}

/// The audit log's filters; every field is optional.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Part of the acting user's email.
    pub actor: Option<String>,
    /// The start of a company's CIF.
    pub company_cif: Option<String>,
    /// The start of an action name, e.g. `token.` or `connect.failed`.
    pub action: Option<String>,
    pub outcome: Option<Outcome>,
    pub from: Option<NaiveDateTime>,
    pub until: Option<NaiveDateTime>,
    pub token_id: Option<i64>,
    pub company_id: Option<i64>,
    pub offset: i64,
    pub limit: i64,
}

/// An event with the actor's email, for the audit log page.
pub struct AuditRow {
    pub event: AuditEvent,
    pub actor_email: Option<String>,
}

fn like_prefix(text: &str) -> String {
    format!("{}%", crate::db::models::escape_like(text))
}

/// A page of events, newest first, and the total: two queries.
pub fn search(conn: &mut DbConnection, filter: &AuditFilter) -> QueryResult<(Vec<AuditRow>, i64)> {
    use crate::db::schema::{companies, users};
    let filtered = || {
        let mut q = audit_events::table
            .left_join(users::table.on(audit_events::actor_user_id.eq(users::id.nullable())))
            .into_boxed();
        if let Some(actor) = filter.actor.as_deref().filter(|s| !s.trim().is_empty()) {
            let pattern = format!("%{}", like_prefix(&actor.trim().to_lowercase()));
            q = q.filter(users::email.like(pattern).escape('\\'));
        }
        if let Some(cif) = filter
            .company_cif
            .as_deref()
            .filter(|s| !s.trim().is_empty())
        {
            let digits: String = cif
                .trim()
                .trim_start_matches(['R', 'r', 'O', 'o'])
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            q = q.filter(
                audit_events::company_id.eq_any(
                    companies::table
                        .filter(companies::cif.like(like_prefix(&digits)).escape('\\'))
                        .select(companies::id.nullable()),
                ),
            );
        }
        if let Some(action) = filter.action.as_deref().filter(|s| !s.trim().is_empty()) {
            q = q.filter(
                audit_events::action
                    .like(like_prefix(action.trim()))
                    .escape('\\'),
            );
        }
        if let Some(outcome) = filter.outcome {
            q = q.filter(audit_events::outcome.eq(match outcome {
                Outcome::Success => "success",
                Outcome::Failure => "failure",
            }));
        }
        if let Some(from) = filter.from {
            q = q.filter(audit_events::at.ge(from));
        }
        if let Some(until) = filter.until {
            q = q.filter(audit_events::at.lt(until));
        }
        if let Some(company_id) = filter.company_id {
            q = q.filter(audit_events::company_id.eq(company_id));
        }
        if let Some(token_id) = filter.token_id {
            q = q.filter(audit_events::token_id.eq(token_id));
        }
        q
    };
    let total = filtered().count().get_result(conn)?;
    let rows: Vec<(AuditEvent, Option<String>)> = filtered()
        .order((audit_events::at.desc(), audit_events::id.desc()))
        .offset(filter.offset)
        .limit(filter.limit)
        .select((AuditEvent::as_select(), users::email.nullable()))
        .load(conn)?;
    Ok((
        rows.into_iter()
            .map(|(event, actor_email)| AuditRow { event, actor_email })
            .collect(),
        total,
    ))
}
