//! Companies and their members: adding companies (one or a pasted list), inviting people and
//! their answers, and who may see and act on them. Every change is audited here.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tokio::sync::Notify;

use crate::db::models::companies;
use crate::db::models::invitations::{self, Invitation};
use crate::db::models::now;
use crate::db::models::users::User;
use crate::db::queries;
use crate::db::{Db, write_transaction};
use crate::domain::{
    Actor, AuditAction, AuditEvent, Cif, CifProblem, CompanyId, Email, InvitationId, MemberRole,
    TokenId, UserId,
};
use crate::services::audit::AuditLog;

// The rows these calls answer with, for the layers above to name.
pub use crate::db::models::companies::{Company, CreateCompanyError, Member, MembershipError};
pub use crate::db::models::invitations::{AcceptError, ReceivedInvitation};
pub use crate::db::queries::companies::{
    CompanyQuery, CompanyRow, ListSort, SortColumn, StatusCounts, StatusFilter,
};
pub use crate::db::queries::tokens::MemberToken;

pub use crate::db::models::audit::AuditRecord;
pub use crate::db::models::name_lookups::LookupState;
pub use crate::db::models::tokens::TokenMeta;
pub use crate::db::queries::tokens::Offer;

/// What a company's page shows, read in one trip to the pool.
pub struct CompanyOverview {
    /// The token serving the company.
    pub token: Option<TokenMeta>,
    /// The company's latest audit events.
    pub events: Vec<AuditRecord>,
    /// Where the name lookup stands (only asked for a company without a name).
    pub lookup: Option<LookupState>,
    /// The reader's other companies the same token serves.
    pub also_served: Vec<Company>,
    /// Tokens offered to the company.
    pub offers: Vec<Offer>,
    /// The companies each offered token would newly serve, by token id.
    pub newcomers: HashMap<TokenId, Vec<String>>,
}

pub use crate::db::queries::companies::CompanyWithToken;

/// A page of every company for support staff, with the counters and each company's admins
/// (company id, email).
pub struct SupportListing {
    pub rows: Vec<CompanyWithToken>,
    pub total: i64,
    pub counts: StatusCounts,
    pub admins: Vec<(CompanyId, String)>,
}

/// One company as support staff see it: its token, members, the other companies with the same
/// CIF with their admins (company id, email), and its last 100 audit events.
pub struct SupportCompany {
    pub company: Company,
    pub token: Option<TokenMeta>,
    pub members: Vec<Member>,
    pub same_cif: Vec<Company>,
    pub same_cif_admins: Vec<(CompanyId, String)>,
    pub events: Vec<crate::services::audit::AuditRow>,
}

/// A page of a member's companies and, for the dashboard, its counters and attention queue.
pub struct MemberCompanies {
    pub rows: Vec<CompanyRow>,
    pub total: i64,
    /// Every company of the user the search matches, whatever the status filter (empty
    /// unless asked for).
    pub counts: StatusCounts,
    /// The user's tokens that may need them (empty unless asked for).
    pub attention: Vec<MemberToken>,
}

/// At most this many lines per paste, so one request stays quick.
pub const BULK_LIMIT: usize = 500;

/// What happened to one pasted line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineVerdict {
    Added(Cif),
    Invalid(CifProblem),
    /// The same CIF appeared on an earlier line of the paste.
    DuplicateLine(Cif),
    /// The person's list has a company with this CIF already.
    AlreadyInYourList(Cif),
}

/// One pasted line and its verdict.
#[derive(Debug, Clone)]
pub struct BulkLine {
    pub input: String,
    pub verdict: LineVerdict,
}

/// The verdict of every non-empty line of a paste, in order.
#[derive(Debug, Clone, Default)]
pub struct BulkReport {
    pub lines: Vec<BulkLine>,
}

impl BulkReport {
    pub fn added(&self) -> usize {
        self.lines
            .iter()
            .filter(|l| matches!(l.verdict, LineVerdict::Added(_)))
            .count()
    }

    pub fn rejected(&self) -> usize {
        self.lines.len() - self.added()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BulkError {
    #[error("at most {BULK_LIMIT} lines at once")]
    TooManyLines,
    #[error(transparent)]
    Storage(#[from] anyhow::Error),
}

/// What inviting an email did, by company. Whether the email has an account is never part of
/// the answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InviteReport {
    /// The invitation waits for the person (a pending one got the new role).
    pub invited: Vec<CompanyId>,
    /// The person is a member already (the inviter sees the member lists anyway).
    pub already_members: Vec<CompanyId>,
}

/// One line of a paste: a CIF, optionally followed by a name after a comma, semicolon or tab.
fn parse_line(line: &str) -> (Result<Cif, CifProblem>, Option<String>) {
    let (cif, name) = match line.split_once([',', ';', '\t']) {
        Some((cif, name)) => (cif.trim(), Some(name.trim())),
        None => (line, None),
    };
    (
        Cif::parse(cif),
        name.filter(|n| !n.is_empty()).map(clip_name),
    )
}

/// Company names are kept to `NAME_LIMIT` characters.
fn clip_name(name: &str) -> String {
    name.trim().chars().take(NAME_LIMIT).collect()
}

#[derive(Clone)]
pub struct CompanyService {
    db: Db,
    audit: AuditLog,
    /// Wakes this instance's company name lookups (`engine::registry`) when CIFs were queued.
    lookups: Arc<Notify>,
}

/// Why a typed company name was refused; each maps to one catalog message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameProblem {
    #[error("the name is empty")]
    Empty,
    #[error("the name is longer than 200 characters")]
    TooLong,
    #[error("the name holds control characters")]
    ControlCharacters,
}

impl NameProblem {
    pub fn message_key(self) -> &'static str {
        match self {
            NameProblem::Empty => "company-name_empty",
            NameProblem::TooLong => "company-name_too_long",
            NameProblem::ControlCharacters => "company-name_control",
        }
    }
}

/// A name as a person typed it, trimmed and with inner runs of spaces kept as typed.
pub fn parse_name(raw: &str) -> Result<String, NameProblem> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(NameProblem::Empty);
    }
    if name.chars().count() > NAME_LIMIT {
        return Err(NameProblem::TooLong);
    }
    if name.chars().any(char::is_control) {
        return Err(NameProblem::ControlCharacters);
    }
    Ok(name.to_owned())
}

/// Company names are kept to this many characters.
pub const NAME_LIMIT: usize = 200;

impl CompanyService {
    pub fn new(db: Db, audit: AuditLog, lookups: Arc<Notify>) -> CompanyService {
        CompanyService { db, audit, lookups }
    }

    /// Sets the company's name (a company admin typed it). Audited.
    pub async fn rename(
        &self,
        actor: &Actor,
        company_id: CompanyId,
        name: String,
    ) -> anyhow::Result<()> {
        let detail = name.clone();
        self.db
            .run(move |conn| Ok(companies::rename(conn, company_id, &name)?))
            .await?;
        self.audit
            .record(
                actor,
                AuditEvent::success(AuditAction::CompanyRenamed)
                    .company(company_id)
                    .detail(detail),
            )
            .await;
        Ok(())
    }

    /// Adds a company; `user_id` becomes its company admin.
    pub async fn create(
        &self,
        actor: &Actor,
        user_id: UserId,
        cif: Cif,
        name: &str,
    ) -> Result<Result<Company, CreateCompanyError>, anyhow::Error> {
        let name = Some(clip_name(name)).filter(|n| !n.is_empty());
        let created = self
            .db
            .run(move |conn| {
                Ok(companies::create_with_admin(
                    conn,
                    &cif,
                    name.as_deref(),
                    user_id,
                ))
            })
            .await?;
        if let Ok(company) = &created {
            // Its name (when none was typed) and address come from ANAF's registry, later.
            self.lookups.notify_one();
            self.audit
                .record(
                    actor,
                    AuditEvent::success(AuditAction::CompanyCreated)
                        .company(company.id)
                        .detail(format!("CIF {}", company.cif)),
                )
                .await;
        }
        Ok(created)
    }

    /// Adds the companies pasted one per line (see `parse_line`); every non-empty line gets its
    /// verdict. One audit event for the paste.
    pub async fn bulk_import(
        &self,
        actor: &Actor,
        user_id: UserId,
        text: &str,
    ) -> Result<BulkReport, BulkError> {
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        if lines.len() > BULK_LIMIT {
            return Err(BulkError::TooManyLines);
        }
        let mut seen = HashSet::new();
        let parsed: Vec<(String, Result<Cif, LineVerdict>, Option<String>)> = lines
            .into_iter()
            .map(|line| {
                let (cif, name) = parse_line(line);
                let cif = match cif {
                    Err(problem) => Err(LineVerdict::Invalid(problem)),
                    Ok(cif) if !seen.insert(cif.clone()) => Err(LineVerdict::DuplicateLine(cif)),
                    Ok(cif) => Ok(cif),
                };
                (line.to_owned(), cif, name)
            })
            .collect();
        let report = self
            .db
            .run(move |conn| {
                let mut report = BulkReport::default();
                for (input, cif, name) in parsed {
                    let verdict = match cif {
                        Err(verdict) => verdict,
                        Ok(cif) => {
                            match companies::create_with_admin(conn, &cif, name.as_deref(), user_id)
                            {
                                Ok(_) => LineVerdict::Added(cif),
                                Err(CreateCompanyError::AlreadyInYourList) => {
                                    LineVerdict::AlreadyInYourList(cif)
                                }
                                Err(CreateCompanyError::Database(e)) => return Err(e.into()),
                            }
                        }
                    };
                    report.lines.push(BulkLine { input, verdict });
                }
                Ok(report)
            })
            .await?;
        if report.added() > 0 {
            self.lookups.notify_one();
            self.audit
                .record(
                    actor,
                    AuditEvent::success(AuditAction::CompaniesBulkCreated)
                        .detail(format!("{} companies added", report.added())),
                )
                .await;
        }
        Ok(report)
    }

    /// Invites `email` with `role` to each of `company_ids` (companies the inviter administers;
    /// the caller checks), in one transaction: the person sees the invitations once logged in
    /// with that email, and accepts or declines them. Each invitation is audited on its company.
    pub async fn invite(
        &self,
        actor: &Actor,
        company_ids: Vec<CompanyId>,
        email: Email,
        role: MemberRole,
        invited_by: UserId,
    ) -> anyhow::Result<InviteReport> {
        let address = email.clone();
        let report = self
            .db
            .run(move |conn| {
                Ok(write_transaction(conn, |conn| {
                    let mut report = InviteReport::default();
                    for company_id in company_ids {
                        if companies::has_member_with_email(conn, company_id, &address)? {
                            report.already_members.push(company_id);
                        } else {
                            invitations::invite(conn, company_id, &address, role, invited_by)?;
                            report.invited.push(company_id);
                        }
                    }
                    Ok::<_, diesel::result::Error>(report)
                })?)
            })
            .await?;
        for company_id in &report.invited {
            self.audit
                .record(
                    actor,
                    AuditEvent::success(AuditAction::MemberInvited)
                        .company(*company_id)
                        .detail(format!("{} as {}", email.as_str(), role.as_str())),
                )
                .await;
        }
        Ok(report)
    }

    /// The company's pending invitations.
    /// The company and `user`'s role in it, when they are a member.
    pub async fn membership(
        &self,
        company: CompanyId,
        user: UserId,
    ) -> anyhow::Result<Option<(Company, MemberRole)>> {
        self.db
            .run(move |conn| Ok(companies::find_for_member(conn, company, user)?))
            .await
    }

    /// The company with this CIF and `user`'s role in it, when they are a member.
    pub async fn membership_by_cif(
        &self,
        cif: Cif,
        user: UserId,
    ) -> anyhow::Result<Option<(Company, MemberRole)>> {
        self.db
            .run(move |conn| Ok(companies::find_by_cif_for_member(conn, &cif, user)?))
            .await
    }

    /// What the company's page shows `user`: its token, the last 20 audit events, the name
    /// lookup's state when `unnamed`, the other companies of `user` the token serves, the
    /// tokens offered and whom they would newly serve.
    pub async fn overview(
        &self,
        company: &Company,
        user: UserId,
        unnamed: bool,
    ) -> anyhow::Result<CompanyOverview> {
        let company_id = company.id;
        let typed_company = company.id;
        let cif = company.cif.clone();
        let user_id = user.get();
        self.db
            .run(move |conn| {
                let token = crate::db::models::tokens::find_meta_for_company(conn, company_id)?;
                let also_served = match &token {
                    Some(token) => queries::tokens::also_served_for_member(
                        conn,
                        token.id,
                        user_id.into(),
                        company_id,
                    )?,
                    None => Vec::new(),
                };
                let events = crate::db::models::audit::for_company(conn, typed_company, 20)?;
                let lookup = match unnamed {
                    true => crate::db::models::name_lookups::state_of(conn, &cif)?,
                    false => None,
                };
                let offers = queries::tokens::offers_for_company(conn, company_id)?;
                let offered: Vec<TokenId> = offers.iter().map(|offer| offer.token_id).collect();
                let newcomers = crate::db::models::tokens::newcomers(conn, company_id, &offered)?;
                Ok(CompanyOverview {
                    token,
                    events,
                    lookup,
                    also_served,
                    offers,
                    newcomers,
                })
            })
            .await
    }

    /// Whether the token is offered to the company.
    pub async fn is_offered(&self, company: CompanyId, token: TokenId) -> anyhow::Result<bool> {
        self.db
            .run(move |conn| Ok(queries::tokens::is_offered(conn, token, company)?))
            .await
    }

    /// A page of every company as `query` asks (support staff), with the counters for its
    /// search and the admins of the companies on the page.
    pub async fn support_listing(&self, query: CompanyQuery) -> anyhow::Result<SupportListing> {
        self.db
            .run(move |conn| {
                let (rows, total) = queries::companies::list(conn, &query)?;
                let ids: Vec<CompanyId> = rows.iter().map(|(company, _)| company.id).collect();
                let admins = companies::admins_of(conn, &ids)?;
                Ok(SupportListing {
                    rows,
                    total,
                    counts: queries::companies::status_counts(conn, query.search.clone())?,
                    admins,
                })
            })
            .await
    }

    /// The company as support staff see it, if it is there.
    pub async fn support_company(
        &self,
        company: CompanyId,
    ) -> anyhow::Result<Option<SupportCompany>> {
        use crate::db::models::audit::{self, AuditFilter};
        self.db
            .run(move |conn| {
                let Some(company) = companies::find(conn, company)? else {
                    return Ok(None);
                };
                let same_cif = companies::others_with_cif(conn, &company.cif, company.id)?;
                let ids: Vec<CompanyId> = same_cif.iter().map(|c| c.id).collect();
                let same_cif_admins = companies::admins_of(conn, &ids)?;
                let (events, _) = audit::search(
                    conn,
                    &AuditFilter {
                        company_id: Some(company.id),
                        limit: 100,
                        ..AuditFilter::default()
                    },
                )?;
                let token = crate::db::models::tokens::find_meta_for_company(conn, company.id)?;
                let members = companies::members(conn, company.id)?;
                Ok(Some(SupportCompany {
                    company,
                    token,
                    members,
                    same_cif,
                    same_cif_admins,
                    events,
                }))
            })
            .await
    }

    /// A page of `user`'s companies as `query` asks, and how many match.
    pub async fn page_for_member(
        &self,
        user: UserId,
        query: CompanyQuery,
    ) -> anyhow::Result<(Vec<CompanyRow>, i64)> {
        self.db
            .run(move |conn| Ok(queries::companies::page_for_member(conn, user, &query)?))
            .await
    }

    /// A page of `user`'s companies and, with `counters`, the dashboard's counters and
    /// attention queue: two indexed queries (three with the counters), in one trip to the pool.
    pub async fn member_companies(
        &self,
        user: UserId,
        query: CompanyQuery,
        counters: bool,
    ) -> anyhow::Result<MemberCompanies> {
        self.db
            .run(move |conn| {
                let (rows, total) = queries::companies::page_for_member(conn, user, &query)?;
                let (counts, attention) = match counters {
                    true => (
                        queries::companies::status_counts_for_member(
                            conn,
                            user,
                            query.search.clone(),
                        )?,
                        queries::tokens::attention_candidates_for_member(conn, user, now())?,
                    ),
                    false => (StatusCounts::new(), Vec::new()),
                };
                Ok(MemberCompanies {
                    rows,
                    total,
                    counts,
                    attention,
                })
            })
            .await
    }

    /// The company's members with their roles, by email.
    pub async fn members(&self, company: CompanyId) -> anyhow::Result<Vec<Member>> {
        self.db
            .run(move |conn| Ok(companies::members(conn, company)?))
            .await
    }

    /// `user`'s companies (at most `limit`, by CIF) with their role in each.
    pub async fn of_member(
        &self,
        user: UserId,
        limit: i64,
    ) -> anyhow::Result<Vec<(Company, MemberRole)>> {
        self.db
            .run(move |conn| Ok(companies::of_member(conn, user, limit)?))
            .await
    }

    /// The companies `user` administers (at most `limit`), the ones they may invite people to.
    pub async fn administered_by(&self, user: UserId, limit: i64) -> anyhow::Result<Vec<Company>> {
        self.db
            .run(move |conn| Ok(companies::administered_by(conn, user, limit)?))
            .await
    }

    pub async fn pending_invitations(
        &self,
        company_id: CompanyId,
    ) -> anyhow::Result<Vec<Invitation>> {
        self.db
            .run(move |conn| Ok(invitations::pending_for_company(conn, company_id)?))
            .await
    }

    /// The invitations waiting for account `user_id` (none while its email is unverified).
    pub async fn invitations_for(
        &self,
        user_id: UserId,
    ) -> anyhow::Result<Vec<ReceivedInvitation>> {
        self.db
            .run(move |conn| Ok(invitations::pending_for_user(conn, user_id)?))
            .await
    }

    /// `user` accepts invitation `id` (addressed to their verified email) and becomes a member.
    /// Audited.
    pub async fn accept_invitation(
        &self,
        actor: &Actor,
        user: &User,
        id: InvitationId,
    ) -> anyhow::Result<Result<Company, AcceptError>> {
        let who = user.email.clone();
        let user_id = user.id;
        let accepted = self
            .db
            .run(move |conn| {
                Ok(match invitations::accept(conn, id, user_id) {
                    Err(AcceptError::Database(e)) => return Err(e.into()),
                    other => other,
                })
            })
            .await?;
        if let Ok((invitation, _)) = &accepted {
            self.audit
                .record(
                    actor,
                    AuditEvent::success(AuditAction::MemberAdded)
                        .company(invitation.company_id)
                        .detail(format!(
                            "{who} accepted the invitation as {}",
                            invitation.role.as_str()
                        )),
                )
                .await;
        }
        Ok(accepted.map(|(_, company)| company))
    }

    /// Account `user_id` declines invitation `id`; whether it was theirs and pending. Audited.
    pub async fn decline_invitation(
        &self,
        actor: &Actor,
        user_id: UserId,
        id: InvitationId,
    ) -> anyhow::Result<bool> {
        let declined = self
            .db
            .run(move |conn| Ok(invitations::decline(conn, id, user_id)?))
            .await?;
        if let Some(invitation) = &declined {
            self.audit
                .record(
                    actor,
                    AuditEvent::success(AuditAction::InvitationDeclined)
                        .company(invitation.company_id)
                        .detail(invitation.email.clone()),
                )
                .await;
        }
        Ok(declined.is_some())
    }

    /// A company admin withdraws invitation `id` of the company; whether it was pending. Audited.
    pub async fn cancel_invitation(
        &self,
        actor: &Actor,
        company_id: CompanyId,
        id: InvitationId,
    ) -> anyhow::Result<bool> {
        let cancelled = self
            .db
            .run(move |conn| Ok(invitations::cancel(conn, company_id, id)?))
            .await?;
        if let Some(invitation) = &cancelled {
            self.audit
                .record(
                    actor,
                    AuditEvent::success(AuditAction::InvitationCancelled)
                        .company(company_id)
                        .detail(invitation.email.clone()),
                )
                .await;
        }
        Ok(cancelled.is_some())
    }

    /// Changes a member's role (`Some`) or removes the member (`None`); a company always keeps at
    /// least one admin.
    pub async fn change_member(
        &self,
        actor: &Actor,
        company_id: CompanyId,
        member_id: UserId,
        role: Option<MemberRole>,
    ) -> Result<Result<(), MembershipError>, anyhow::Error> {
        let (changed, member) = self
            .db
            .run(move |conn| {
                // The history names people by email, as they know each other.
                let member = crate::db::models::users::find(conn, member_id)?
                    .map_or_else(|| format!("user {member_id}"), |user| user.email);
                Ok((
                    companies::change_member(conn, company_id, member_id, role),
                    member,
                ))
            })
            .await?;
        if changed.is_ok() {
            let event = match role {
                Some(role) => AuditEvent::success(AuditAction::MemberRoleChanged)
                    .detail(format!("{member} is now {}", role.as_str())),
                None => AuditEvent::success(AuditAction::MemberRemoved)
                    .detail(format!("{member} removed")),
            };
            self.audit.record(actor, event.company(company_id)).await;
        }
        Ok(changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_holds_a_cif_and_maybe_a_name() {
        let (cif, name) = parse_line("RO 18547290, Firma Test SRL");
        assert_eq!(cif.map(|c| c.to_string()), Ok("18547290".to_owned()));
        assert_eq!(name.as_deref(), Some("Firma Test SRL"));
        let (cif, name) = parse_line("14399840");
        assert!(cif.is_ok());
        assert_eq!(name, None);
        let (cif, _) = parse_line("12345678;x");
        assert_eq!(cif, Err(CifProblem::CheckDigit));
    }
}
