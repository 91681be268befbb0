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
