use crate::domain::UserId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::models::now;
use crate::db::schema::audit_events;
use crate::domain::{Actor, AuditEvent, CompanyId, Outcome, TokenId};

#[derive(Insertable)]
#[diesel(table_name = audit_events)]
struct NewAuditEvent<'a> {
    at: NaiveDateTime,
    actor_user_id: Option<UserId>,
    action: &'a str,
    company_id: Option<CompanyId>,
    token_id: Option<TokenId>,
    outcome: &'a str,
    ip: Option<&'a str>,
    user_agent: Option<&'a str>,
    detail: Option<&'a str>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
/// Its ids are numbers still: the audit log page (`http::web::admin`) reads them as such.
pub struct AuditRecord {
    pub id: i64,
    pub at: NaiveDateTime,
    pub actor_user_id: Option<UserId>,
    pub action: String,
    pub company_id: Option<i64>,
    pub token_id: Option<i64>,
    pub outcome: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub detail: Option<String>,
}

pub fn record(conn: &mut DbConnection, actor: &Actor, event: &AuditEvent) -> QueryResult<usize> {
    let user_agent: Option<String> = actor
        .user_agent
        .as_deref()
        .map(|ua| ua.chars().take(300).collect());
    let through_api = actor
        .api_key_id
        .map(|key| format!("through the API (key {key})"));
    let detail = match (event.detail.as_deref(), through_api) {
        (Some(detail), Some(api)) => Some(format!("{detail}; {api}")),
        (detail, api) => detail.map(str::to_owned).or(api),
    };
    diesel::insert_into(audit_events::table)
        .values(NewAuditEvent {
            at: now(),
            actor_user_id: actor.user_id,
            action: event.action.as_str(),
            company_id: event.company_id,
            token_id: event.token_id,
            outcome: event.outcome.as_str(),
            ip: actor.ip.as_deref(),
            user_agent: user_agent.as_deref(),
            detail: detail.as_deref(),
        })
        .execute(conn)
}

/// A company's events, newest first.
pub fn for_company(
    conn: &mut DbConnection,
    company_id: CompanyId,
    limit: i64,
) -> QueryResult<Vec<AuditRecord>> {
    audit_events::table
        .filter(audit_events::company_id.eq(company_id))
        .order((audit_events::at.desc(), audit_events::id.desc()))
        .limit(limit)
        .select(AuditRecord::as_select())
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
    pub token_id: Option<TokenId>,
    pub company_id: Option<CompanyId>,
    pub offset: i64,
    pub limit: i64,
}

/// An event with the actor's email, for the audit log page.
pub struct AuditRow {
    pub event: AuditRecord,
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
            q = q.filter(audit_events::outcome.eq(outcome.as_str()));
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
    let rows: Vec<(AuditRecord, Option<String>)> = filtered()
        .order((audit_events::at.desc(), audit_events::id.desc()))
        .offset(filter.offset)
        .limit(filter.limit)
        .select((AuditRecord::as_select(), users::email.nullable()))
        .load(conn)?;
    Ok((
        rows.into_iter()
            .map(|(event, actor_email)| AuditRow { event, actor_email })
            .collect(),
        total,
    ))
}
